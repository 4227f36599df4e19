package lab

import (
	"hash/fnv"
	"testing"
)

// TestTraceHashIsFNV1aOfTheRecordBytes checks that fnvRecord hashes the
// bytes the trace hash has always covered, so trace hashes printed before
// (in tokens' checks, in docs) stay the same.
func TestTraceHashIsFNV1aOfTheRecordBytes(t *testing.T) {
	records := []Record{
		{Kind: KindPoint, Thread: 0, Name: "p"},
		{Kind: KindTrace, Thread: 300, Name: "iomap_invalid", Fields: []Field{F("pos", 4096), F("len", -1)}},
		{Kind: KindExit, Thread: 2, Name: ""},
	}
	want := uint64(14695981039346656037)
	var got uint64 = fnvOffset
	for _, r := range records {
		b := []byte{byte(r.Kind), byte(r.Thread), byte(r.Thread >> 8)}
		b = append(b, r.Name...)
		for _, f := range r.Fields {
			b = append(b, f.Key...)
			for i := range 8 {
				b = append(b, byte(f.Val>>(8*i)))
			}
		}
		for i := range 8 {
			b = append(b, byte(want>>(8*i)))
		}
		h := fnv.New64a()
		h.Write(b)
		want = h.Sum64()
		got = fnvRecord(got, r)
		if got != want {
			t.Fatalf("record %+v: hash %016x, FNV-1a of its bytes %016x", r, got, want)
		}
	}
}
