package fsx

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"iomaplab/fsx/internal/memfs"
)

// The recorded logs: ltp/fsx.c of kdave/xfstests, `fsx -q -N 500 -S SEED
// -C -I -0 -u -a --record-ops=LOG testfile`, on XFS (reflink) and ext4
// (no clone or dedupe: fsx skips them). See docs/fsx.md.
const (
	recordedXFS  = "testdata/fstests/fstests-xfs-N500-S11.fsxops"
	recordedExt4 = "testdata/fstests/fstests-ext4-N500-S7.fsxops"
)

func readFstestsFile(t *testing.T, path string) *Log {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := ReadAnyLog(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

// TestReadFstestsLogRecorded: a real fsx log parses into one thread's
// stream with the ops fsx ran (its skip lines left out), every kind both
// have, and replays clean; a target that loses punched data fails it.
func TestReadFstestsLogRecorded(t *testing.T) {
	l := readFstestsFile(t, recordedXFS)
	if len(l.Streams) != 1 || l.Options.Threads != 1 || l.Options.Files != 1 {
		t.Fatalf("want one thread and one file, have %d streams, %+v", len(l.Streams), l.Options)
	}
	counts := map[Kind]int{}
	for _, op := range l.Streams[0] {
		counts[op.Kind]++
	}
	// From the log: `awk '$1 != "skip" {print $1}' LOG | sort | uniq -c`.
	want := map[Kind]int{Read: 71, Write: 58, MapRead: 34, MapWrite: 23, Truncate: 27, Fallocate: 21,
		Punch: 21, ZeroRange: 26, Clone: 28, Dedupe: 30, Copy: 22}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("kinds %v, want %v", counts, want)
	}
	cfg := Config{Options: l.Options, Replay: l.Streams, Mount: memTarget(memfs.Bugs{})}
	res := mustRun(t, cfg)
	if res.Failure != nil {
		t.Fatalf("replay failed: %s", res.Failure.Summary())
	}
	if res.Ops != 361 || res.BytesVerified == 0 {
		t.Errorf("replayed %d ops verifying %d bytes, want 361 and some", res.Ops, res.BytesVerified)
	}
	cfg.Mount = memTarget(memfs.Bugs{PunchKeepsData: true})
	if res := mustRun(t, cfg); res.Failure == nil {
		t.Error("a target whose punch keeps the data replays the log clean")
	}
	if l := readFstestsFile(t, recordedExt4); len(l.Streams[0]) != 332 {
		t.Errorf("ext4 log: %d ops, want 332 (500 lines, 168 skipped)", len(l.Streams[0]))
	}
}

// TestFstestsLogRoundTrip: a generated run with several threads and short
// writes, written in fsx's format, reads back as one stream that stores
// the same bytes (its replay is clean), with every op fsx lacks counted
// and left as a comment; written again, it is the same text.
func TestFstestsLogRoundTrip(t *testing.T) {
	o := options(3, 3000, 3)
	cfg := Config{Options: o, Mount: memTarget(memfs.Bugs{})}
	res := mustRun(t, cfg)
	requireClean(t, cfg, res)
	var buf bytes.Buffer
	ex, err := WriteFstestsLog(&buf, o, res.Streams)
	if err != nil {
		t.Fatal(err)
	}
	var short, unexported int64
	for _, s := range res.Streams {
		for _, op := range s {
			if op.Short > 0 {
				short++
			}
		}
	}
	for k, n := range ex.Unexported {
		if _, ok := fstestsNames[k]; ok && k != Write {
			t.Errorf("%d %s ops not exported", n, k)
		}
		unexported += n
	}
	if short == 0 || ex.Unexported[Write] != short || ex.Unexported[Reclaim] == 0 {
		t.Errorf("unexported %v, want the %d short writes and the reclaims", ex.Unexported, short)
	}
	if ex.Ops+unexported != res.Ops {
		t.Errorf("%d ops written and %d not, of %d", ex.Ops, unexported, res.Ops)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if len(line) >= 255 {
			t.Fatalf("line of %d bytes: fsx reads 256 at a time: %q", len(line), line)
		}
	}
	text := buf.String()
	l, err := ReadAnyLog(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text[:3000])
	}
	replay := Config{Options: l.Options, Replay: l.Streams, Mount: memTarget(memfs.Bugs{})}
	if res := mustRun(t, replay); res.Failure != nil {
		t.Fatalf("replay: %s", res.Failure.Summary())
	}
	var again bytes.Buffer
	if _, err := WriteFstestsLog(&again, l.Options, l.Streams); err != nil {
		t.Fatal(err)
	}
	if dataLines(again.String()) != dataLines(text) {
		t.Error("the log read back writes different op lines")
	}
}

// dataLines drops comments and skip lines: what fsx replays.
func dataLines(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "skip ") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// TestReadFstestsLogRejects: what the model cannot run, what fsx never
// writes and what is past the bounds are bad input naming the problem;
// the nearest valid lines parse.
func TestReadFstestsLogRejects(t *testing.T) {
	for _, tc := range []struct{ log, want string }{
		{"collapse_range 0x0 0x1000 0x2000\n", "fsx -C"},
		{"write 0x0 0x2000 0x0\ninsert_range 0x0 0x1000 0x2000\n", "fsx -I"},
		{"write 0x0 0x2000 0x0\nexchange_range 0x0 0x1000 0x1000 0x2000\n", "fsx -0"},
		{"fallocate 0x0 0x1000 0x0 unshare\n", "fsx -u"},
		{"read 0x0 0x10 0x40000\n", "not the start of a run"},
		{"write 0x0 0x10 0x0\nread 0x0 0x10 0x11\n", "ops before it make 0x10"},
		{"frobnicate 0x0 0x0 0x0\n", "unknown operation"},
		{"skip\n", "skip without an op"},
		{"write 0x0 0x10\n", "want 3 numbers"},
		{"write 0x0 0x10 0x0 sideways\n", "unknown flag"},
		{"write 0x0 zz 0x0\n", "not a number"},
		{"write 0x100000000 0x10 0x0\n", "32-bit"},
		{"write 0x0 0x1000001 0x0\n", "longer than the longest op"},
		{"write 0x0 0x2000 0x0\nclone_range 0x1000 0x2000 0x4000 0x2000\n", "past EOF"},
		{"write 0x0 0x2000 0x0\ndedupe_range 0x0 0x1000 0x1800 0x2000\n", "past EOF"},
		{"", "no ops"},
		{"skip read 0x0 0x0 0x0\nread 0x0 0x10 0x0\n", "no ops to replay"},
		{"# only a comment\n", "no ops"},
		{strings.Repeat("x", 5000) + "\n", "longer than"},
	} {
		_, err := ReadAnyLog(strings.NewReader(tc.log))
		if !isBadInput(err, tc.want) {
			t.Errorf("%.60q: %v, want bad input naming %q", tc.log, err, tc.want)
		}
	}
	for _, log := range []string{
		"skip collapse_range 0x0 0x1000 0x0\nwrite 0x0 0x2000 0x0\n",
		"write 0x0 0x2000 0x0 close_open *\nfallocate 0x0 0x1000 0x2000 keep_size\n",
		"# comment\n\twrite 0x0 0x2000 0x0\nclone_range 0x0 0x1000 0x4000 0x2000\ndedupe_range 0x0 0x1000 0x1000 0x5000\n",
		"write 0 8192 0\ntruncate 0x0 0xffffffff 0x2000\n",
	} {
		l, err := ReadAnyLog(strings.NewReader(log))
		if err != nil {
			t.Errorf("%q: %v", log, err)
			continue
		}
		if l.Options.Validate() != nil || len(l.Streams[0]) == 0 {
			t.Errorf("%q: %+v", log, l)
		}
	}
}

// TestFstestsLogShapes: each fsx line becomes the op fsx runs, with the
// lock mode and epochs of a generated stream; skipped and no-op lines
// are left out.
func TestFstestsLogShapes(t *testing.T) {
	log := `write 0x100 0x200 0x0
read 0x0 0x80 0x300
skip clone_range 0x0 0x0 0x1000 0x300
read 0x400 0x10 0x300
truncate 0x0 0x1000 0x300
fallocate 0x1000 0x1000 0x1000 keep_size
zero_range 0x800 0x1000 0x1000
punch_hole 0x0 0x100 0x1800
copy_range 0x0 0x100 0x2000 0x1800
fsync 0x0 0x0 0x2100
dedupe_range 0x0 0x100 0x1000 0x2100
`
	l, err := ReadFstestsLog(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range l.Streams[0] {
		got = append(got, op.String())
	}
	want := []string{
		"1 t0 e0 write f0 0x100 0x200 size=0x0 x",
		"2 t0 e1 read f0 0x0 0x80 size=0x300",
		"3 t0 e1 truncate f0 0x1000 0x0 size=0x300 x",
		"4 t0 e2 fallocate f0 0x1000 0x1000 size=0x1000 keep x",
		"5 t0 e3 zero f0 0x800 0x1000 size=0x1000 x",
		"6 t0 e4 punch f0 0x0 0x100 size=0x1800 keep x",
		"7 t0 e5 copy f0 0x2000 0x100 size=0x1800 src=f0:0x0 x",
		"8 t0 e6 fsync f0 0x0 0x2100 size=0x2100",
		"9 t0 e6 dedupe f0 0x1000 0x100 size=0x2100 src=f0:0x0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each line is one iomaplab's own log accepts.
	for _, s := range got {
		if _, err := ParseOp(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// TestWriteFstestsLogRefuses: fsx has one file and 32-bit offsets.
func TestWriteFstestsLogRefuses(t *testing.T) {
	o := Defaults()
	o.Files = 2
	if _, err := WriteFstestsLog(&bytes.Buffer{}, o, nil); !isBadInput(err, "one file") {
		t.Errorf("two files: %v", err)
	}
	o.Files, o.MaxFileSize = 1, 1<<32
	if _, err := WriteFstestsLog(&bytes.Buffer{}, o, nil); !isBadInput(err, "32-bit") {
		t.Errorf("4 GiB files: %v", err)
	}
	o.MaxFileSize = 1 << 20
	streams := [][]Op{{{ID: 1, Kind: Truncate, Off: 5, Excl: true}, {ID: 2, Kind: Truncate, Off: 6, Epoch: 2, Excl: true}}}
	if _, err := WriteFstestsLog(&bytes.Buffer{}, o, streams); !isBadInput(err, "no exclusive op ends epoch 1") {
		t.Errorf("epochs with a gap: %v", err)
	}
}

// FuzzReadFstestsLog: any input either fails as bad input, or parses to a
// log that iomaplab's own format and fsx's both carry unchanged; never a
// panic or a hang. Seeds: the recorded logs' first lines and
// testdata/fuzz/FuzzReadFstestsLog.
func FuzzReadFstestsLog(f *testing.F) {
	for _, path := range []string{recordedXFS, recordedExt4} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:bytes.IndexByte(b[2000:], '\n')+2001])
	}
	f.Add([]byte("fsync 0x0 0x0 0x0\n"))
	f.Add([]byte("write 0x0 0x2000 0x0\nclone_range 0x0 0x1000 0x4000 0x2000\nskip insert_range 0 0 0x5000 unshare\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadFstestsLog(bytes.NewReader(data))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		var own bytes.Buffer
		if err := WriteLog(&own, l.Options, nil, l.Streams); err != nil {
			t.Fatal(err)
		}
		if again, err := ReadLog(&own); err != nil || !reflect.DeepEqual(again, l) {
			t.Fatalf("iomaplab's format: %v\n%+v\n%+v", err, l, again)
		}
		var fst bytes.Buffer
		if _, err := WriteFstestsLog(&fst, l.Options, l.Streams); err != nil {
			t.Fatal(err)
		}
		again, err := ReadFstestsLog(&fst)
		want := withoutFsync(l)
		if len(want.Streams[0]) == 0 {
			if !isBadInput(err, "no ops") {
				t.Fatalf("a log of fsyncs only, exported without them: %v", err)
			}
			return
		}
		if err != nil || !reflect.DeepEqual(again, want) {
			t.Fatalf("fsx's format: %v\n%s\n%+v\n%+v", err, fst.Bytes(), want, again)
		}
	})
}

// withoutFsync is l as WriteFstestsLog carries it: without its fsyncs
// (fsx replays those only in its integrity mode), ops renumbered.
func withoutFsync(l *Log) *Log {
	out := &Log{Options: l.Options, Streams: [][]Op{nil}}
	for _, op := range l.Streams[0] {
		if op.Kind != Fsync {
			op.ID = int64(len(out.Streams[0])) + 1
			out.Streams[0] = append(out.Streams[0], op)
		}
	}
	out.Options.Ops = int64(len(out.Streams[0]))
	return out
}
