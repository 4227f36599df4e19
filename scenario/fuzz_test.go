package scenario

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, and every error it returns is an ErrorList
// of file:line:col messages pointing inside the input.
//
//	go test -run=NONE -fuzz=FuzzParse -fuzztime=3m ./scenario
func FuzzParse(f *testing.F) {
	entries, err := fs.ReadDir(catalogueFS, "catalogue")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		src, err := catalogueFS.ReadFile("catalogue/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"", "scenario", "scenario t\nfs xfs\nthread a: pwrite f 0 4k stall-at=1k\nthread b: await a.stalled ; release a\n",
		head + "thread a: fsync f ;; ; \nexpect stale>=1;reachable!=2;trace da_reserve<3\n",
		head + "inject iomap.write.prefault park thread=a hit=1\nthread a: map-store f 0 1\nthread b: await a.stalled;release a\n",
		"scenario t\nfs ext4 iomap folio=2M dev=1M\nthread a: zero f 0x10 1k keep-size may-fail\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sc, err := Parse("f.scn", src)
		if err == nil {
			if sc == nil || sc.Name == "" || sc.FS.Type == "" || len(sc.Threads) == 0 {
				t.Fatalf("accepted an incomplete scenario: %+v", sc)
			}
			return
		}
		if sc != nil {
			t.Fatal("a scenario returned with an error")
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 || len(list) > maxErrors {
			t.Fatalf("error %T %v", err, err)
		}
		lines := strings.Count(string(src), "\n") + 1
		for _, e := range list {
			if e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 || !strings.HasPrefix(e.Error(), "f.scn:") {
				t.Fatalf("bad position in %q", e.Error())
			}
		}
	})
}
