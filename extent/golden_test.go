package extent

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/*.golden from the current output")

// TestMapGolden replays testdata/map.script, a list of Map operations, and
// compares the rendered results with testdata/map.golden (regenerate with
// go test ./extent -run TestMapGolden -rewrite). Each map is drawn one
// character per block: '.' hole, 'd' delalloc, 'u' unwritten, 'W' written,
// under a ruler, with the extents listed beneath.
//
// Script lines ('#' starts a comment):
//
//	set START END STATE [PBLK]
//	remove START END
//	convert START END FROM TO [PBLK]
//	lookup FBLK
//	reset
func TestMapGolden(t *testing.T) {
	script, err := os.ReadFile("testdata/map.script")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	m := new(Map)
	for n, line := range strings.Split(string(script), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			out.WriteString(line + "\n")
			continue
		}
		fmt.Fprintf(&out, "> %s\n", line)
		res, err := runGoldenOp(m, strings.Fields(line))
		if err != nil {
			t.Fatalf("map.script:%d: %v", n+1, err)
		}
		out.WriteString(res)
		if m2 := m.Verify(); m2 != nil {
			fmt.Fprintf(&out, "  VERIFY FAILED: %v\n", m2)
		}
		if line == "reset" {
			m = new(Map)
		}
	}
	const golden = "testdata/map.golden"
	if *rewrite {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("output differs from %s (rerun with -rewrite and diff):\n%s", golden, out.String())
	}
}

func runGoldenOp(m *Map, f []string) (string, error) {
	num := func(i int) uint64 {
		if i >= len(f) {
			return 0
		}
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			panic(err)
		}
		return v
	}
	state := func(i int) State {
		for s := Hole; s <= Written; s++ {
			if s.String() == f[i] {
				return s
			}
		}
		panic("unknown state " + f[i])
	}
	seq := m.Seq()
	var got []Extent
	switch f[0] {
	case "set":
		got = m.Set(Extent{Range: Range{num(1), num(2)}, State: state(3), PBlk: num(4)})
	case "remove":
		got = m.Remove(Range{num(1), num(2)})
	case "convert":
		got = m.Convert(Range{num(1), num(2)}, state(3), state(4), num(5))
	case "lookup":
		return fmt.Sprintf("  %v\n", m.Lookup(num(1))), nil
	case "reset":
		return "", nil
	default:
		return "", fmt.Errorf("unknown op %q", f[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  returned %v; seq +%d\n", got, m.Seq()-seq)
	b.WriteString(draw(m))
	return b.String(), nil
}

// draw renders the first 32 blocks of m.
func draw(m *Map) string {
	const width = 32
	pic := []byte(strings.Repeat(".", width))
	for _, e := range m.Extents(Range{0, width}) {
		for f := e.Start; f < e.End; f++ {
			pic[f] = " duW"[e.State]
		}
	}
	var b strings.Builder
	b.WriteString("  0         1         2         3\n")
	b.WriteString("  01234567890123456789012345678901\n")
	fmt.Fprintf(&b, "  %s\n", pic)
	for _, e := range m.All() {
		fmt.Fprintf(&b, "  %v\n", e)
	}
	return b.String()
}
