package fsx

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// badInput reports whether err is an *InputError whose message holds want.
func isBadInput(err error, want string) bool {
	var ie *InputError
	return errors.As(err, &ie) && ie.BadInput() && strings.Contains(err.Error(), want)
}

// TestParseOpBounds: every number of an op line is checked against its
// limit as it is parsed, and the error names the limit; the largest
// values in range parse.
func TestParseOpBounds(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"1 t99999999999 e0 read f0 0x0 0x10 size=0x10", "not in 0..63"},
		{"1 t64 e0 read f0 0x0 0x10 size=0x10", "not in 0..63"},
		{"1 t0 e0 read f64 0x0 0x10 size=0x10", "not in 0..63"},
		{"1 t0 e0 write f0 0x7fffffffffffffff 0x1 size=0x0 x", "not in 0..1099511627776"},
		{"1 t0 e0 write f0 0x0 0x7fffffffffffffff size=0x0 x", "not in 0..1099511627776"},
		{"1 t0 e0 write f0 0x0 0xffffffffffffffffff size=0x0 x", "not in 0..1099511627776"},
		{"1 t0 e0 clone f0 0x0 0x10 size=0x0 src=f0:0x10000000001 x", "not in 0..1099511627776"},
		{"1 t0 e0 clone f0 0x0 0x10 size=0x0 src=f0:0x0 src=f0:0x0 x", "want one src="},
		{"1 t0 e99999999999 read f0 0x0 0x10 size=0x10", "not in 0..10000000"},
		{"1 t0 e0 read f0 0x0 0x10 size=0x10 " + strings.Repeat("z", 1<<20), "unknown flag"},
		{"1 t0 e0 read f0 0xq 0x10 size=0x10", "not a number"},
		{"1 t0 e0 read f0 -0x1 0x10 size=0x10", "want prefix"},
		{"1 t0 e0 scribble f0 0x0 0x10 size=0x10", "want one of read, write"},
	} {
		_, err := ParseOp(tc.line)
		if !isBadInput(err, tc.want) {
			t.Errorf("ParseOp(%.60q): %v, want bad input naming %q", tc.line, err, tc.want)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("ParseOp(%.60q): a %d-byte message", tc.line, len(err.Error()))
		}
	}
	op, err := ParseOp("1 t63 e0 clone f63 0x10000000000 0x0 size=0x10000000000 src=f0:0x10000000000 x")
	if err != nil || op.Thread != 63 || op.File != 63 || op.Off != MaxFileSize || op.SrcOff != MaxFileSize {
		t.Fatalf("the largest values in range: %+v, %v", op, err)
	}
}

// TestReadLogBounds: a log is checked line by line against its own options
// (ranges past its maximum file size) and the global limits, before any
// work proportional to a bad number, as bad input.
func TestReadLogBounds(t *testing.T) {
	head := logMagic + "\n# options: " + options(1, 10, 1).String() + "\n"
	for _, tc := range []struct{ log, want string }{
		{head + "1 t0 e0 write f0 0x3ffff 0x2 size=0x0 x\n", "past the log's maximum file size 0x40000"},
		{head + "1 t0 e0 truncate f0 0x40001 0x0 size=0x0 x\n", "past the log's maximum file size"},
		{head + "1 t0 e0 copy f0 0x0 0x10 size=0x0 src=f0:0x3fff8 x\n", "source reaches 0x40008"},
		{head + "1 t0 e0 read f0 0x0 0x10 size=0x40001\n", "size 0x40001"},
		{head + "1 t0 e0 write f0 0x0 0x10001 size=0x0 x\n", "longer than the log's maximum op size 0x10000"},
		{head + "1 t0 e0 punch f0 0x0 0x10001 size=0x40000 x\n", "longer than the log's maximum op size"},
		{logMagic + "\n# options: " + strings.Replace(options(1, 10, 1).String(), "threads=1", "threads=99999999999", 1) + "\n", "threads 99999999999 not in 1..64"},
		{logMagic + "\n# options: " + strings.Replace(options(1, 10, 1).String(), "maxfile=262144", "maxfile=1099511627777", 1) + "\n", "not in 1..1099511627776"},
		{logMagic + "\n# options: " + strings.Replace(options(1, 10, 1).String(), "maxop=65536", "maxop=1099511627776", 1) + "\n", "not in 1..16777216"},
		{logMagic + "\n1 t0 e0 read f0 0x0 0x10 size=0x0\n", "before the options line"},
		{head + "# options: " + options(1, 10, 1).String() + "\n", "a second options line"},
		{head + "1 t0 e0 read f0 0x0 0x10 size=0x0 " + strings.Repeat("x", 1<<20) + "\n", "longer than 1 MiB"},
		{head + "1 t0 e99999 read f0 0x0 0x10 size=0x0\n", "runs in epoch 99999, but only 0 exclusive ops"},
		{"hello\n", "not an fsx log"},
		{"", "empty log"},
	} {
		_, err := ReadLog(strings.NewReader(tc.log))
		if !isBadInput(err, tc.want) {
			t.Errorf("ReadLog(%.80q): %v, want bad input naming %q", tc.log, err, tc.want)
		}
	}
	l, err := ReadLog(strings.NewReader(head + "1 t0 e0 write f0 0x3ffff 0x1 size=0x0 x\n2 t0 e1 sync-range f0 0x0 0x40000 size=0x40000\n"))
	if err != nil || len(l.Streams) != 1 || l.Streams[0][0].End() != 256<<10 || l.Streams[0][1].Len != 256<<10 {
		t.Fatalf("a write ending at the maximum file size: %v, %v", l, err)
	}
}

// TestValidateLimits: each option is checked against the limit the
// harness can serve, as bad input naming it; the limits themselves pass.
func TestValidateLimits(t *testing.T) {
	for _, tc := range []struct {
		set  func(o *Options)
		want string
	}{
		{func(o *Options) { o.Ops = MaxOps + 1 }, "not in 0..10000000"},
		{func(o *Options) { o.Threads = 65 }, "not in 1..64"},
		{func(o *Options) { o.Files = 0 }, "not in 1..64"},
		{func(o *Options) { o.MaxFileSize = MaxFileSize + 1 }, "not in 1..1099511627776"},
		{func(o *Options) { o.MaxOpSize = MaxOpSize + 1 }, "not in 1..16777216"},
		{func(o *Options) { o.WriteAlign = o.MaxFileSize + 1 }, "alignment"},
		{func(o *Options) { o.ShortEvery = -1 }, ">= 0"},
	} {
		o := Defaults()
		tc.set(&o)
		if err := o.Validate(); !isBadInput(err, tc.want) {
			t.Errorf("%+v: %v, want bad input naming %q", o, err, tc.want)
		}
	}
	o := Defaults()
	o.Ops, o.Threads, o.Files, o.MaxFileSize, o.MaxOpSize = MaxOps, MaxThreads, MaxFiles, MaxFileSize, MaxOpSize
	if err := o.Validate(); err != nil {
		t.Fatalf("the limits themselves: %v", err)
	}
	if _, err := ParseKindSet("read,bogus"); !isBadInput(err, "want one of") {
		t.Errorf("ParseKindSet of an unknown kind: %v", err)
	}
}

// FuzzReadLog: any input either parses, as a log that writes back to text
// that parses to the same log, or fails as bad input; never a panic, and
// (the test's timeout) never a hang. Seeds: testdata/fuzz/FuzzReadLog.
func FuzzReadLog(f *testing.F) {
	head := logMagic + "\n# options: " + options(1, 10, 2).String() + "\n"
	f.Add([]byte(head + "1 t0 e0 write f0 0x100 0x10 size=0x0 short=0x3 x\n2 t1 e1 read f0 0x0 0x110 size=0x110\n"))
	f.Add([]byte(head + "1 t0 e0 clone f0 0x0 0x1000 size=0x2000 src=f0:0x1000 x\n2 t1 e1 dedupe f0 0x0 0x1000 size=0x2000 src=f0:0x1000\n"))
	f.Add([]byte(head + "1 t99999999999 e0 write f0 0x7fffffffffffffff 0x1 size=0x0 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadLog(bytes.NewReader(data))
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteLog(&buf, l.Options, nil, l.Streams); err != nil {
			t.Fatal(err)
		}
		again, err := ReadLog(&buf)
		if err != nil {
			t.Fatalf("the written log does not parse: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(again, l) {
			t.Fatalf("round trip changed the log:\n%+v\n%+v", l, again)
		}
	})
}
