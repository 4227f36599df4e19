package tracefs

import "testing"

func TestParseLine(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		want Event
	}{
		{"# tracer: nop", false, Event{}},
		{"       iomaplab-4242    [001] .....   123.456789: xfs_iomap_invalid: dev 7:0 ino 0x83 pos 0x0",
			true, Event{Comm: "iomaplab", PID: 4242, Name: "xfs_iomap_invalid", Fields: "dev 7:0 ino 0x83 pos 0x0"}},
		{"  kworker/u8:2-flush-7:0-77 [000] ...1. 9.000001: xfs_map_blocks_alloc: dev 7:0 ino 0x83",
			true, Event{Comm: "kworker/u8:2-flush-7:0", PID: 77, Name: "xfs_map_blocks_alloc", Fields: "dev 7:0 ino 0x83"}},
		{"  my task-1 [003] 5.5: tracing_mark_write: run 3 parked",
			true, Event{Comm: "my task", PID: 1, Name: "tracing_mark_write", Fields: "run 3 parked"}},
		{"garbage", false, Event{}},
	}
	for _, c := range cases {
		got, ok := ParseLine(c.line)
		if ok != c.ok {
			t.Errorf("ParseLine(%q) ok=%v, want %v", c.line, ok, c.ok)
			continue
		}
		got.Raw = ""
		if ok && got != c.want {
			t.Errorf("ParseLine(%q) = %+v, want %+v", c.line, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	evs := []Event{{Name: "a", PID: 1}, {Name: "a", PID: 2}, {Name: "b", PID: 1}}
	if n := Count(evs, "a", 1); n != 1 {
		t.Errorf("Count(a, 1) = %d", n)
	}
	if n := Count(evs, "a", -1); n != 2 {
		t.Errorf("Count(a, any) = %d", n)
	}
}

func TestDevT(t *testing.T) {
	if d := DevT(7, 3); d != 7<<20|3 {
		t.Errorf("DevT(7,3) = %#x", d)
	}
}
