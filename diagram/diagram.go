// Package diagram draws a schedule the way kernel commit messages and mailing
// list threads do: one column per thread, time going down, each step in its
// thread's column, so the racing steps read side by side:
//
//	writer                             | flusher
//	pwrite f 0 36865                   |
//	 iomap_begin: mapping cached       |
//	 -- parked (userfaultfd stall) --  |
//	                                   | sync-range f 36k 4k
//	                                   |  xfs_map_blocks: convert delalloc
//
// It renders lab trace records: notes, points (named after the kernel step
// they model), tracepoints with their fields, parks and releases, and the
// acquisitions of the locks that matter; the violated oracle closes the
// drawing.
package diagram

import (
	"fmt"
	"strings"

	"iomaplab/lab"
)

// Options tunes what a drawing shows.
type Options struct {
	// Locks lists lock names whose acquisitions are drawn (e.g. "ILOCK",
	// "i_rwsem"); a name ending in "*" matches a prefix.
	Locks []string
	// Threads limits and orders the columns; empty means every thread that
	// has something drawn, in ID order.
	Threads []string
	// Width caps a column's width (default 44).
	Width int
	// Footer is printed under the columns: the violated oracle.
	Footer string
}

// Labels maps point names to the kernel step they model; points not listed
// are drawn by name.
var Labels = map[string]string{
	"iomap.iter":                         "iomap_iter()",
	"blockdev.submit":                    "submit_bio()",
	"blockdev.complete":                  "bio end_io",
	"iomap.write.after_begin":            "->iomap_begin(): mapping cached, no lock held",
	"iomap.write.prefault":               "fault_in_iov_iter_readable()",
	"iomap.write.before_valid":           "iomap_write_begin(): folio locked",
	"iomap.write.after_valid":            "->iomap_valid(): mapping still valid",
	"iomap.wb.map_blocks":                "iomap_writepage_map(): ->map_blocks()",
	"xfs.alloc.convert":                  "xfs_bmapi_convert_delalloc()",
	"xfs.ioend.convert":                  "xfs_end_ioend(): unwritten -> written",
	"ext4.da_map.after_lookup":           "ext4_da_map_blocks(): lockless ES lookup",
	"ext4.da_map.before_insert":          "ext4_insert_delayed_block()",
	"ext4.iomap_get_blocks.after_lookup": "ext4_iomap_get_blocks(): lockless ES lookup",
}

type row struct {
	col   int
	text  string
	times int
}

func (r row) String() string {
	if r.times > 1 {
		return fmt.Sprintf("%s (x%d)", r.text, r.times)
	}
	return r.text
}

// Draw renders records as columns.
func Draw(records []lab.Record, opt Options) string {
	if opt.Width == 0 {
		opt.Width = 44
	}
	cols := map[int]int{} // thread ID -> column
	var names []string
	if len(opt.Threads) > 0 {
		names = opt.Threads
	}
	colOf := func(r lab.Record) (int, bool) {
		if c, ok := cols[r.Thread]; ok {
			return c, true
		}
		if len(opt.Threads) > 0 {
			for i, n := range opt.Threads {
				if n == r.Who {
					cols[r.Thread] = i
					return i, true
				}
			}
			return 0, false
		}
		cols[r.Thread] = len(names)
		names = append(names, r.Who)
		return cols[r.Thread], true
	}
	var rows []row
	for _, r := range records {
		text, ok := describe(r, opt)
		if !ok {
			continue
		}
		c, ok := colOf(r)
		if !ok {
			continue
		}
		if n := len(rows); n > 0 && rows[n-1].col == c && rows[n-1].text == text {
			rows[n-1].times++
			continue
		}
		rows = append(rows, row{c, text, 1})
	}
	rows = foldCycles(rows)
	width := make([]int, len(names))
	for i, n := range names {
		width[i] = len(n)
	}
	for _, r := range rows {
		width[r.col] = max(width[r.col], min(len(r.String()), opt.Width))
	}
	var b strings.Builder
	line := func(cells []string) {
		var parts []string
		for i, c := range cells {
			parts = append(parts, fmt.Sprintf("%-*s", width[i], c))
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, " | "), " ") + "\n")
	}
	line(names)
	sep := make([]string, len(names))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	b.WriteString(strings.ReplaceAll(strings.TrimRight(strings.Join(sep, "-+-"), " "), " ", "-") + "\n")
	for _, r := range rows {
		for _, piece := range wrap(r.String(), width[r.col]) {
			cells := make([]string, len(names))
			cells[r.col] = piece
			line(cells)
		}
	}
	if opt.Footer != "" {
		b.WriteString("=> " + opt.Footer + "\n")
	}
	return b.String()
}

func describe(r lab.Record, opt Options) (string, bool) {
	switch r.Kind {
	case lab.KindNote:
		return r.Name, true
	case lab.KindPoint:
		if l, ok := Labels[r.Name]; ok {
			return " " + l, true
		}
		return " " + r.Name, true
	case lab.KindTrace:
		var f []string
		for _, x := range r.Fields {
			f = append(f, fmt.Sprintf("%s=%d", x.Key, x.Val))
		}
		return "  trace " + r.Name + " " + strings.Join(f, " "), true
	case lab.KindPark:
		return " -- parked at " + r.Name + " --", true
	case lab.KindRelease:
		return "  wakes " + r.Name, true
	case lab.KindInject:
		return " inject failure at " + r.Name, true
	case lab.KindLock, lab.KindRLock:
		if !lockShown(r.Name, opt.Locks) {
			return "", false
		}
		mode := ""
		if r.Kind == lab.KindRLock {
			mode = " (shared)"
		}
		return "  lock " + r.Name + mode, true
	}
	return "", false
}

func lockShown(name string, locks []string) bool {
	for _, l := range locks {
		if l == name || (strings.HasSuffix(l, "*") && strings.HasPrefix(name, l[:len(l)-1])) {
			return true
		}
	}
	return false
}

// wrap breaks text at spaces into lines of at most width bytes (a word longer
// than width gets a line of its own); continuation lines are indented.
func wrap(text string, width int) []string {
	indent := len(text) - len(strings.TrimLeft(text, " ")) + 2
	var lines []string
	cur := ""
	for _, word := range strings.Fields(text) {
		switch {
		case cur == "":
			cur = text[:indent-2] + word
		case len(cur)+1+len(word) <= width:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = strings.Repeat(" ", indent) + word
		}
	}
	return append(lines, cur)
}

// foldCycles shortens a thread's repeated per-folio cycle: when a block of
// up to maxCycle rows of one column repeats right after itself with the same
// shape (the same text once numbers are ignored), the first copy is kept and
// the repeats become one row saying how many were folded.
func foldCycles(rows []row) []row {
	const maxCycle = 8
	var out []row
	for i := 0; i < len(rows); {
		folded := false
		for p := 1; p <= maxCycle && i+2*p <= len(rows); p++ {
			n := 1
			for i+(n+1)*p <= len(rows) && sameShape(rows[i:i+p], rows[i+n*p:i+(n+1)*p]) {
				n++
			}
			if n >= 3 {
				out = append(out, rows[i:i+p]...)
				out = append(out, row{col: rows[i].col, text: fmt.Sprintf(" ... the %d steps above repeat %d more times", p, n-1), times: 1})
				i += n * p
				folded = true
				break
			}
		}
		if !folded {
			out = append(out, rows[i])
			i++
		}
	}
	return out
}

func sameShape(a, b []row) bool {
	for i := range a {
		if a[i].col != b[i].col || a[i].col != a[0].col || shape(a[i].String()) != shape(b[i].String()) {
			return false
		}
	}
	return true
}

// shape is text with every run of digits replaced by '#'.
func shape(text string) string {
	var b strings.Builder
	digit := false
	for _, c := range text {
		if c >= '0' && c <= '9' {
			if !digit {
				b.WriteByte('#')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(c)
	}
	return b.String()
}
