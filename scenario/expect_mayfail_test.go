package scenario

import (
	"strings"
	"testing"
)

// An expect with may-fail: a read that fails (a load past EOF is SIGBUS)
// is not an op error, but bytes it does return must still match.
func TestExpectMayFail(t *testing.T) {
	sc := mustParse(t, head+"thread a: expect map-load f 0 4k in {0x61,'b'} may-fail\n")
	e := sc.Threads[0].Ops[0]
	if !e.MayFail || string(e.Patterns) != "ab" || e.Describe() != "expect map-load f 0 4k in {0x61,0x62} may-fail" {
		t.Fatalf("%+v %q", e, e.Describe())
	}
	// The file is empty: the load faults.
	v := Run(sc, &fakeTarget{}, controlled(1))
	if len(v.OpErrors) != 0 || v.Violated() {
		t.Fatalf("a failed load under may-fail: %v", v)
	}
	v = Run(mustParse(t, head+"thread a: expect map-load f 0 4k == 0x61\n"), &fakeTarget{}, controlled(1))
	if len(v.OpErrors) != 1 || v.Violated() {
		t.Fatalf("a failed load without may-fail: %v", v)
	}
	v = Run(mustParse(t, head+"setup pwrite f 0 4k fill=0x61\nthread a: expect map-load f 0 4k == 0x62 may-fail\n"), &fakeTarget{}, controlled(1))
	if !v.Violated() || v.Violations[0].Oracle != "data" || !strings.Contains(v.Violations[0].Message, "is 0x61, expected 0x62") {
		t.Fatalf("wrong bytes under may-fail: %v", v)
	}
	for _, c := range []struct{ src, err string }{
		{head + "thread a: expect read f 0 4k may-fail\n", "e.scn:3:29: expect read f needs '== P' or 'in {P1,P2}' after the range"},
		{head + "thread a: expect read f 0 4k == may-fail\n", "e.scn:3:32: expect: '==' needs a pattern byte"},
	} {
		if _, err := Parse("e.scn", []byte(c.src)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: got %v, want %s", c.src, err, c.err)
		}
	}
}
