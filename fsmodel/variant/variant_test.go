package variant

import "testing"

func TestParseRoundTrip(t *testing.T) {
	for _, n := range Names() {
		v, err := Parse(n)
		if err != nil {
			t.Fatalf("Parse(%q): %v", n, err)
		}
		if v.String() != n {
			t.Errorf("Parse(%q).String() = %q", n, v.String())
		}
	}
	v, err := Parse("no-validate+wb-no-validate")
	if err != nil || !v.Has(NoValidate) || !v.Has(WBNoValidate) || v.Has(Ext4NoRecheck) {
		t.Errorf("combined parse: %v %v", v, err)
	}
	if _, err := Parse("bogus"); err == nil {
		t.Error("Parse(bogus) succeeded")
	}
}
