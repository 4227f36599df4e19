package diagram

import (
	"strings"
	"testing"

	"iomaplab/lab"
)

func TestDrawTwoColumns(t *testing.T) {
	recs := []lab.Record{
		{Thread: 1, Who: "writer", Kind: lab.KindNote, Name: "pwrite f 0 36865"},
		{Thread: 1, Who: "writer", Kind: lab.KindPoint, Name: "iomap.write.after_begin"},
		{Thread: 1, Who: "writer", Kind: lab.KindLock, Name: "ILOCK"},
		{Thread: 1, Who: "writer", Kind: lab.KindLock, Name: "folio 3"},
		{Thread: 1, Who: "writer", Kind: lab.KindPark, Name: "iomap.write.prefault"},
		{Thread: 2, Who: "flusher", Kind: lab.KindNote, Name: "sync-range f 36k 4k"},
		{Thread: 2, Who: "flusher", Kind: lab.KindPoint, Name: "xfs.ioend.convert"},
		{Thread: 2, Who: "flusher", Kind: lab.KindPoint, Name: "xfs.ioend.convert"},
		{Thread: 1, Who: "writer", Kind: lab.KindTrace, Name: "iomap_invalid", Fields: []lab.Field{lab.F("cookie", 5), lab.F("seq", 7)}},
	}
	got := Draw(recs, Options{Locks: []string{"ILOCK"}, Footer: "data: byte 40959 is 0x00, expected 0x58"})
	for _, s := range []string{"writer", "| flusher", "lock ILOCK", "(x2)", "iomap_invalid cookie=5 seq=7", "=> data:"} {
		if !strings.Contains(got, s) {
			t.Errorf("drawing lacks %q:\n%s", s, got)
		}
	}
	if strings.Contains(got, "folio 3") {
		t.Errorf("drawing shows a lock not asked for:\n%s", got)
	}
	// Each row has text in exactly one column: the flusher's rows start after
	// the writer column's separator.
	for _, l := range strings.Split(got, "\n") {
		if strings.Contains(l, "sync-range") && !strings.HasPrefix(strings.TrimLeft(l, " "), "| ") {
			t.Errorf("flusher step not in the second column: %q", l)
		}
	}
}

func TestWrapKeepsWordsWhole(t *testing.T) {
	got := wrap(" ->iomap_begin(): mapping cached, no lock held", 30)
	for _, l := range got {
		if len(l) > 30 {
			t.Errorf("line %q longer than 30", l)
		}
	}
	if strings.Join(strings.Fields(strings.Join(got, " ")), " ") != "->iomap_begin(): mapping cached, no lock held" {
		t.Errorf("words lost or split: %q", got)
	}
}

func TestRepeatedFolioCyclesFold(t *testing.T) {
	var recs []lab.Record
	for off := int64(0); off < 10; off++ {
		recs = append(recs,
			lab.Record{Thread: 1, Who: "writer", Kind: lab.KindPoint, Name: "iomap.write.before_valid"},
			lab.Record{Thread: 1, Who: "writer", Kind: lab.KindTrace, Name: "iomap_stale_reached", Fields: []lab.Field{lab.F("off", off*4096)}})
	}
	recs = append(recs, lab.Record{Thread: 2, Who: "syncer", Kind: lab.KindNote, Name: "fsync f"})
	got := Draw(recs, Options{})
	if !strings.Contains(got, "the 2 steps above repeat 9 more times") || strings.Count(got, "iomap_stale_reached") != 1 {
		t.Fatalf("cycle not folded:\n%s", got)
	}
	if !strings.Contains(got, "fsync f") {
		t.Fatalf("row after the cycle lost:\n%s", got)
	}
}
