package scenario

import (
	"errors"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// located is how every parse error line starts.
var located = regexp.MustCompile(`^f\.scn:([0-9]+):([0-9]+): \S`)

// FuzzParse: Parse never panics; every error it returns is an ErrorList of
// bad-input errors, each printed "f.scn:LINE:COL: message" with LINE:COL
// inside the input; an accepted scenario is complete and within its
// budget.
//
//	GOMEMLIMIT=1GiB go test -run=NONE -fuzz=FuzzParse -fuzztime=5m -parallel 1 ./scenario
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
		head + "setup pwrite f 1099511627775 1\ninject iomap.wb.map_blocks park thread=a hit=1\nthread a: fsync f\nthread b: await a.stalled ; fsync f ; release a\n",
		head + "thread a: await b.done\nthread b: pwrite f 0 8k stall-at=4k\nthread c: await b.stalled ; await a.done ; release b\n",
		"scenario t\nfs ext4\ninject ext4.da_map.after_lookup park thread=m hit=1\nthread m: map-store f 0 4k\nthread b: await m.stalled ; punch f 0 4k ; release m\n",
		head + "setup pwrite f 0 40M\nthread a: pread f 0 30M\nexpect trace cow_remap >= 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sc, err := Parse("f.scn", src)
		if err == nil {
			if sc == nil || sc.Name == "" || sc.FS.Type == "" || len(sc.Threads) == 0 {
				t.Fatalf("accepted an incomplete scenario: %+v", sc)
			}
			if sc.moved() > DefaultLimits.MaxBytes || sc.FS.DevSize > DefaultLimits.MaxDev || sc.MaxSteps() < baseSteps || sc.MaxSteps() > DefaultLimits.MaxSteps {
				t.Fatalf("accepted a scenario over its budget: moved %d, dev %d, steps %d", sc.moved(), sc.FS.DevSize, sc.MaxSteps())
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
		if !list.BadInput() {
			t.Fatal("a parse error that is not bad input")
		}
		lines := strings.Split(string(src), "\n")
		for i, msg := range strings.Split(err.Error(), "\n") {
			e := list[i]
			if m := located.FindStringSubmatch(msg); m == nil || m[1] != strconv.Itoa(e.Pos.Line) || m[2] != strconv.Itoa(e.Pos.Col) {
				t.Fatalf("error %q does not start with f.scn:%d:%d: ", msg, e.Pos.Line, e.Pos.Col)
			}
			if e.Pos.Line < 1 || e.Pos.Line > len(lines) || e.Pos.Col < 1 || e.Pos.Col > len(lines[e.Pos.Line-1])+1 {
				t.Fatalf("position %d:%d of %q lies outside the input", e.Pos.Line, e.Pos.Col, msg)
			}
		}
	})
}
