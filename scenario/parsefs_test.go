package scenario

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseFS(t *testing.T) {
	scn := func(name string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("scenario " + name + "\nfs xfs\nthread a: pwrite f 0 4k\nexpect data\n")}
	}
	fsys := fstest.MapFS{
		"d/b.scn":     scn("b"),
		"d/a-b.scn":   scn("a-b"),
		"d/a.scn":     scn("a"),
		"d/README":    {Data: []byte("not a scenario")},
		"other.scn":   scn("other"),
		"bad/x.scn":   scn("y"),
		"syn/x.scn":   {Data: []byte("scenario x\nfs xfs\nthread a: frobnicate f\n")},
		"empty/.keep": {},
	}
	list, err := ParseFS(fsys, "d")
	if err != nil {
		t.Fatal(err)
	}
	var names, files []string
	for _, sc := range list {
		names, files = append(names, sc.Name), append(files, sc.File)
	}
	if strings.Join(names, ",") != "a,a-b,b" || strings.Join(files, ",") != "d/a.scn,d/a-b.scn,d/b.scn" {
		t.Fatalf("names %v, files %v", names, files)
	}
	if _, err := ParseFS(fsys, "bad"); err == nil || !strings.Contains(err.Error(), "bad/x.scn: scenario is named y, want x") {
		t.Fatalf("misnamed file: %v", err)
	}
	if _, err := ParseFS(fsys, "syn"); err == nil || !strings.HasPrefix(err.Error(), "syn/x.scn:3:") {
		t.Fatalf("parse error without file:line:col: %v", err)
	}
	if list, err := ParseFS(fsys, "empty"); err != nil || len(list) != 0 {
		t.Fatalf("empty dir: %v, %v", list, err)
	}
	if _, err := ParseFS(fsys, "missing"); err == nil {
		t.Fatal("missing dir accepted")
	}
}

func TestExpectationHolds(t *testing.T) {
	for _, c := range []struct {
		cmp  string
		n    int64
		got  int
		want bool
	}{{">=", 1, 0, false}, {">=", 1, 1, true}, {"==", 0, 0, true}, {"==", 0, 2, false}, {"<", 2, 1, true}, {"!=", 3, 3, false}} {
		if h := (Expectation{Evidence: "stale", Cmp: c.cmp, N: c.n}).Holds(c.got); h != c.want {
			t.Errorf("%d %s %d: %v", c.got, c.cmp, c.n, h)
		}
	}
}
