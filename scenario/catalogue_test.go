package scenario

import (
	"strings"
	"testing"
)

func TestCatalogue(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 15 {
		t.Errorf("catalogue has %d scenarios", len(list))
	}
	caught := map[string]map[bool]bool{} // variant -> exploratory? -> caught
	for _, sc := range list {
		if sc.Doc == "" || sc.Source == "" {
			t.Errorf("%s: needs a header comment and a source line", sc.File)
		}
		for _, c := range sc.Catches {
			if caught[c.Variant] == nil {
				caught[c.Variant] = map[bool]bool{}
			}
			caught[c.Variant][exploratory(sc)] = true
		}
		if named := strings.HasPrefix(sc.Name, "explore-") || strings.HasSuffix(sc.Name, "-explore"); named && !exploratory(sc) {
			t.Errorf("%s: named as exploratory but directed", sc.Name)
		}
	}
	// docs/design.md's matrix: every mutant has a directed scenario and an
	// exploratory one (cookie-before-insert: "any buffered write into a hole").
	for _, v := range Variants[1:] {
		if !caught[v][true] {
			t.Errorf("variant %s: no exploratory scenario catches it", v)
		}
		if !caught[v][false] {
			t.Errorf("variant %s: no directed (or single-thread) scenario catches it", v)
		}
	}
	for _, name := range []string{"write-stale-unwritten", "write-stale-delalloc", "write-stale-mkwrite-hole",
		"writeback-stale-punch", "short-write-keeps-dirty-delalloc", "zero-range-dirty-unwritten",
		"ext4-mkwrite-fallocate", "ext4-iomap-write-mkwrite", "ext4-write-fallocate-legacy"} {
		if _, err := Lookup(name); err != nil {
			t.Error(err)
		}
	}
	sc, _ := Lookup("ext4-write-fallocate-legacy")
	if cell, _ := sc.Expected("ext4-no-recheck"); cell != MustBeClean {
		t.Errorf("negative control: ext4-no-recheck is %v", cell)
	}
}

func TestLoadPathAndName(t *testing.T) {
	if _, err := Load("write-stale-unwritten"); err != nil {
		t.Fatal(err)
	}
	sc, err := Load("catalogue/write-stale-unwritten.scn")
	if err != nil {
		t.Fatal(err)
	}
	if sc.File != "catalogue/write-stale-unwritten.scn" || !sc.Directed {
		t.Errorf("got %+v", sc)
	}
	if _, err := Load("no-such-scenario"); err == nil {
		t.Error("unknown name loaded")
	}
	if _, err := Load("testdata/missing.scn"); err == nil {
		t.Error("missing file loaded")
	}
}

// exploratory: no await/release, and more than one thread races (scenario
// threads, or one with the model's background daemons).
func exploratory(sc *Scenario) bool {
	return !sc.Directed && (len(sc.Threads) > 1 || sc.FS.Flusher || sc.FS.Kswapd)
}
