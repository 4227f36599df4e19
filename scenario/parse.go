package scenario

import (
	"fmt"
	"regexp"
	"strings"

	"iomaplab/vfs"
)

// Parse parses one scenario file under DefaultLimits. filename is used in
// error messages and kept as Scenario.File. A bad file gives an ErrorList
// of file:line:col messages and a nil Scenario; Parse never panics.
func Parse(filename string, src []byte) (*Scenario, error) {
	return ParseWith(filename, src, DefaultLimits)
}

// ParseWith is Parse with the given limits.
func ParseWith(filename string, src []byte, limits Limits) (*Scenario, error) {
	p := &parser{file: filename, sc: &Scenario{File: filename}, threads: map[string]*Thread{}, once: map[string]Pos{}}
	text := string(src)
	p.sc.Doc = leadingComment(text)
	for _, l := range lex(text) {
		if len(l.toks) > 0 {
			p.line(&l)
		}
	}
	p.finish()
	if len(p.errs) == 0 {
		p.checkBudget(limits)
	}
	if len(p.errs) > 0 {
		return nil, p.errs.sorted()
	}
	return p.sc, nil
}

type parser struct {
	file    string
	sc      *Scenario
	errs    ErrorList
	threads map[string]*Thread
	once    map[string]Pos // directives allowed once, where they were
	nops    int            // ops seen, for default fill bytes
	last    Pos            // end of the last line, for errors at EOF
	// parkOps maps the index in sc.Rules of a park-at's rule to its op:
	// the only op that park can happen in.
	parkOps map[int]*Op
}

func (p *parser) errorf(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// after returns the position just past tok, for "missing X" errors.
func after(tok token) Pos { return Pos{tok.pos.Line, tok.pos.Col + len(tok.text)} }

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	identRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	fileRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// leadingComment returns the comment lines before the first directive,
// without their '#', as the scenario's Doc.
func leadingComment(text string) string {
	var doc []string
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t == "" {
			if len(doc) > 0 {
				doc = append(doc, "")
			}
			continue
		}
		if !strings.HasPrefix(t, "#") {
			break
		}
		doc = append(doc, strings.TrimSpace(strings.TrimPrefix(t, "#")))
	}
	return strings.TrimSpace(strings.Join(doc, "\n"))
}

func (p *parser) line(l *line) {
	kw := l.toks[0]
	p.last = after(l.toks[len(l.toks)-1])
	if p.sc.Name == "" && kw.text != "scenario" {
		if _, dup := p.once["scenario"]; !dup {
			p.errorf(kw.pos, "expected 'scenario NAME' first, found %q", kw.text)
			p.once["scenario"] = kw.pos // report once
		}
		return
	}
	switch kw.text {
	case "scenario":
		p.scenarioLine(l)
	case "source":
		if p.onlyOnce(kw) {
			if p.sc.Source = l.rest(0); p.sc.Source == "" {
				p.errorf(after(kw), "source needs text (a kernel commit or fstests test)")
			}
		}
	case "fs":
		p.fsLine(l)
	case "setup":
		p.sc.Setup = append(p.sc.Setup, p.ops(l.toks[1:], kw, "setup")...)
	case "after":
		p.sc.After = append(p.sc.After, p.ops(l.toks[1:], kw, "after")...)
	case "thread":
		p.threadLine(l)
	case "expect":
		p.expectLine(l)
	case "catches":
		p.catchesLine(l)
	case "clean":
		p.cleanLine(l)
	case "inject":
		p.injectLine(l)
	case "kernel":
		p.kernelLine(l)
	default:
		p.errorf(kw.pos, "unknown directive %q (want scenario, source, fs, setup, thread, after, inject, expect, catches, clean or kernel)", kw.text)
	}
}

func (p *parser) onlyOnce(kw token) bool {
	if prev, dup := p.once[kw.text]; dup {
		p.errorf(kw.pos, "second %s line (the first is at line %d)", kw.text, prev.Line)
		return false
	}
	p.once[kw.text] = kw.pos
	return true
}

func (p *parser) scenarioLine(l *line) {
	kw := l.toks[0]
	if p.sc.Name != "" {
		p.errorf(kw.pos, "second scenario line: one scenario per file")
		return
	}
	if len(l.toks) < 2 {
		p.errorf(after(kw), "scenario needs a NAME")
		p.sc.Name = "?"
		return
	}
	name := l.toks[1]
	if !nameRE.MatchString(name.text) {
		p.errorf(name.pos, "bad scenario name %q (lower-case letters, digits and '-')", name.text)
	}
	p.sc.Name = name.text
	p.once["scenario"] = kw.pos
	if len(l.toks) > 2 {
		p.errorf(l.toks[2].pos, "unexpected %q after the scenario name", l.toks[2].text)
	}
}

func (p *parser) fsLine(l *line) {
	kw := l.toks[0]
	if !p.onlyOnce(kw) {
		return
	}
	fs := &p.sc.FS
	fs.Pos = kw.pos
	if len(l.toks) < 2 {
		p.errorf(after(kw), "fs needs a type (%s)", strings.Join(FSTypes, " or "))
		return
	}
	typ := l.toks[1]
	fs.Type = typ.text
	if !contains(FSTypes, typ.text) {
		p.errorf(typ.pos, "unknown fs type %q (want %s)", typ.text, strings.Join(FSTypes, " or "))
	}
	seen := map[string]bool{}
	var nodelalloc *token
	for _, tok := range l.toks[2:] {
		key, val, hasVal := strings.Cut(tok.text, "=")
		if alias, ok := fsOptionAliases[key]; ok && !hasVal {
			key = alias
		}
		if seen[key] {
			p.errorf(tok.pos, "fs option %s given twice", key)
			continue
		}
		seen[key] = true
		switch {
		case key == "folio" && hasVal:
			n, err := ParseSize(val)
			if err != nil {
				p.errorf(tok.pos, "folio: %v", err)
			} else if n < 4096 || n > 2<<20 || n&(n-1) != 0 {
				p.errorf(tok.pos, "folio=%s: the folio size is a power of two from 4k to 2M", val)
			}
			fs.FolioSize = n
		case key == "dev" && hasVal:
			n, err := ParseSize(val)
			if err != nil {
				p.errorf(tok.pos, "dev: %v", err)
			} else if n < 1<<20 || n%4096 != 0 {
				p.errorf(tok.pos, "dev=%s: the device is at least 1M, in whole 4k blocks", val)
			}
			fs.DevSize = n
		case key == "cowextsize" && hasVal:
			n, err := ParseSize(val)
			if err != nil {
				p.errorf(tok.pos, "cowextsize: %v", err)
			} else if n < 4096 || n%4096 != 0 {
				p.errorf(tok.pos, "cowextsize=%s: the COW extent size hint is whole 4k blocks", val)
			}
			if typ.text != "xfs" {
				p.errorf(tok.pos, "fs option cowextsize is for xfs")
			}
			fs.CowExtSize = n
		case key == "allocsize" && hasVal:
			n, err := ParseSize(val)
			if err != nil {
				p.errorf(tok.pos, "allocsize: %v", err)
			} else if n < 4096 || n > 1<<30 || n&(n-1) != 0 {
				p.errorf(tok.pos, "allocsize=%s: the preallocation size is a power of two from 4k to 1g", val)
			}
			if typ.text != "xfs" {
				p.errorf(tok.pos, "fs option allocsize is for xfs")
			}
			fs.AllocSize = n
		case (key == "flusher" || key == "kswapd") && !hasVal:
			if key == "flusher" {
				fs.Flusher = true
			} else {
				fs.Kswapd = true
			}
		case (key == "buffered_iomap" || key == "nobuffered_iomap") && !hasVal:
			if typ.text != "ext4" {
				p.errorf(tok.pos, "fs option %s is for ext4 (xfs always uses iomap)", tok.text)
			}
			if seen["buffered_iomap"] && seen["nobuffered_iomap"] {
				p.errorf(tok.pos, "fs options buffered_iomap (iomap) and nobuffered_iomap (legacy) exclude each other")
			}
			fs.Iomap = key == "buffered_iomap"
		case key == "nodelalloc" && !hasVal:
			if typ.text != "ext4" {
				p.errorf(tok.pos, "fs option nodelalloc is for ext4")
			}
			fs.NoDelalloc = true
			nodelalloc = &tok
		default:
			p.errorf(tok.pos, "unknown fs option %q (want folio=SIZE, dev=SIZE, flusher, kswapd, for xfs cowextsize=SIZE and allocsize=SIZE, for ext4 buffered_iomap or nobuffered_iomap, and nodelalloc)", tok.text)
		}
	}
	if nodelalloc != nil && typ.text == "ext4" && !fs.Iomap {
		p.errorf(nodelalloc.pos, "fs option nodelalloc needs buffered_iomap: the model's legacy ext4 path is delalloc only")
	}
}

// fsOptionAliases are the fs line's older spellings of ext4's mount
// options: iomap and legacy were written before ext4 iomap v4 patch 23/23
// named the option buffered_iomap (and nobuffered_iomap).
var fsOptionAliases = map[string]string{"iomap": "buffered_iomap", "legacy": "nobuffered_iomap"}

func (p *parser) threadLine(l *line) {
	kw := l.toks[0]
	if len(l.toks) < 2 {
		p.errorf(after(kw), "thread needs a NAME, ':' and ops")
		return
	}
	name := l.toks[1]
	if !identRE.MatchString(name.text) {
		p.errorf(name.pos, "bad thread name %q (a letter, then letters, digits, '_' or '-')", name.text)
		return
	}
	if name.text == "main" {
		p.errorf(name.pos, "thread name main is taken (setup and after run on it)")
		return
	}
	if contains(DaemonNames, name.text) {
		p.errorf(name.pos, "thread name %s is taken by an engine daemon (await, release and inject thread= may name it)", name.text)
		return
	}
	if len(l.toks) < 3 || l.toks[2].text != ":" {
		p.errorf(after(name), "expected ':' after thread name %s", name.text)
		return
	}
	th := p.threads[name.text]
	if th == nil {
		th = &Thread{Name: name.text, Pos: name.pos}
		p.threads[name.text] = th
		p.sc.Threads = append(p.sc.Threads, th)
	}
	th.Ops = append(th.Ops, p.ops(l.toks[3:], l.toks[2], "thread "+name.text)...)
}

// ops parses "op ; op ; ..." (a trailing ';' is allowed).
func (p *parser) ops(toks []token, lead token, where string) []Op {
	if len(toks) == 0 {
		p.errorf(after(lead), "%s needs at least one op", where)
		return nil
	}
	var ops []Op
	for _, item := range splitItems(toks) {
		if len(item.toks) == 0 {
			if !item.last {
				p.errorf(item.at, "empty op between ';'")
			}
			continue
		}
		if op, ok := p.op(item.toks); ok {
			ops = append(ops, op)
		}
	}
	return ops
}

type item struct {
	toks []token
	at   Pos  // where an empty item is
	last bool // the item after the final ';'
}

func splitItems(toks []token) []item {
	var items []item
	cur := item{at: toks[0].pos}
	for _, t := range toks {
		if t.text == ";" {
			items = append(items, cur)
			cur = item{at: after(t)}
			continue
		}
		cur.toks = append(cur.toks, t)
	}
	cur.last = len(items) > 0
	return append(items, cur)
}

func (p *parser) op(toks []token) (Op, bool) {
	name := toks[0]
	kind, ok := lookupOp(name.text)
	if !ok {
		p.errorf(name.pos, "unknown op %q (see docs/scenarios.md)", name.text)
		return Op{}, false
	}
	info := opTable[kind]
	op := Op{Kind: kind, Pos: name.pos, StallAt: vfs.NoOffset, FaultAt: vfs.NoOffset}
	p.nops++
	if kind == OpPwrite || kind == OpMapStore {
		op.Fill = defaultFill(p.nops)
	}
	if kind == OpExpect {
		return p.expectOp(op, name, toks[1:])
	}
	// Positional arguments first, then options (key=value or flags).
	var pos []token
	rest := toks[1:]
	for len(rest) > 0 && !isOption(rest[0].text, info) {
		pos = append(pos, rest[0])
		rest = rest[1:]
	}
	ok = p.positional(&op, name, pos)
	for i := 0; i < len(rest); i++ {
		t := rest[i]
		if strings.HasPrefix(t.text, "park-at=") {
			n := p.parkAt(&op, t, rest[i+1:])
			if n < 0 {
				ok, n = false, -n-1
			}
			i += n
			continue
		}
		ok = p.option(&op, t) && ok
	}
	if ok {
		ok = p.checkOp(&op, name)
	}
	return op, ok
}

// defaultFill is the byte an op writes without fill=: 'a'..'z' by the op's
// position in the file, so that every write is told apart in a diff.
func defaultFill(n int) byte { return byte('a' + (n-1)%26) }

// parkAt parses park-at=POINT and an 'as NAME' after it (in next); it
// returns how many tokens of next it used, or -1-n after an error that
// used n of them.
func (p *parser) parkAt(op *Op, t token, next []token) int {
	if opTable[op.Kind].args == argsThread {
		p.errorf(t.pos, "%s takes no option park-at (a park belongs on an op that does work)", op.Kind)
		return -1
	}
	point := strings.TrimPrefix(t.text, "park-at=")
	if _, ok := lookupPoint(point); !ok {
		p.errorf(t.pos, "park-at: unknown point %q (points: %s)", point, strings.Join(Points, ", "))
		return -1
	}
	pk := ParkAt{Pos: t.pos, Point: point, Name: point}
	used := 0
	if len(next) > 0 && next[0].text == "as" {
		if len(next) < 2 || !identRE.MatchString(next[1].text) {
			p.errorf(after(next[0]), "park-at=%s as needs a NAME (a letter, then letters, digits, '_' or '-')", point)
			return -min(len(next), 2) - 1 // skip what 'as' names
		}
		pk.Name, used = next[1].text, 2
	}
	op.Parks = append(op.Parks, pk)
	return used
}

// expectOp parses a mid-scenario expectation after its keyword:
// read|map-load FILE OFF LEN, then '== P' or 'in {P1,P2,...}'.
func (p *parser) expectOp(op Op, name token, toks []token) (Op, bool) {
	if len(toks) == 0 || (toks[0].text != "read" && toks[0].text != "map-load") {
		at := after(name)
		if len(toks) > 0 {
			at = toks[0].pos
		}
		p.errorf(at, "expect in a thread, setup or after line wants read or map-load: expect read FILE OFF LEN == P")
		return op, false
	}
	sub := toks[0]
	op.Sub = OpPread
	if sub.text == "map-load" {
		op.Sub = OpMapLoad
	}
	var pos []token
	rest := toks[1:]
	for len(rest) > 0 && rest[0].text != "==" && rest[0].text != "in" && len(pos) < 3 {
		pos = append(pos, rest[0])
		rest = rest[1:]
	}
	op.Kind = OpMapLoad // positional shape of a range
	ok := p.positional(&op, sub, pos)
	op.Kind = OpExpect
	if !ok {
		return op, false
	}
	// A trailing may-fail: the read may fail (a load past EOF is SIGBUS);
	// if it returns, its bytes must match.
	if n := len(rest); n > 0 && rest[n-1].text == "may-fail" {
		op.MayFail = true
		rest = rest[:n-1]
	}
	if len(rest) == 0 || (rest[0].text != "==" && rest[0].text != "in") {
		at := after(pos[len(pos)-1])
		if len(rest) > 0 {
			at = rest[0].pos
		}
		p.errorf(at, "expect %s %s needs '== P' or 'in {P1,P2}' after the range", sub.text, op.File)
		return op, false
	}
	cmp := rest[0]
	if len(rest) == 1 {
		p.errorf(after(cmp), "expect: '%s' needs a pattern byte (0x58, 88 or 'X')", cmp.text)
		return op, false
	}
	var text string
	for _, t := range rest[1:] {
		text += t.text
	}
	at := rest[1].pos
	if cmp.text == "==" {
		if len(rest) > 2 {
			p.errorf(rest[2].pos, "unexpected %q after the pattern", rest[2].text)
			return op, false
		}
		b, err := parseByte(text)
		if err != nil {
			p.errorf(at, "expect: %v", err)
			return op, false
		}
		op.Patterns = []byte{b}
		return op, true
	}
	if !strings.HasPrefix(text, "{") || !strings.HasSuffix(text, "}") {
		p.errorf(at, "expect: 'in' wants a set of bytes in braces: in {0x57,0x58}")
		return op, false
	}
	for _, f := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(text, "{"), "}"), ",") {
		b, err := parseByte(f)
		if err != nil {
			p.errorf(at, "expect: in {...}: %v", err)
			return op, false
		}
		op.Patterns = append(op.Patterns, b)
	}
	return op, true
}

func isOption(s string, info opInfo) bool {
	return strings.Contains(s, "=") || s == "may-fail" || contains(info.opts, s)
}

var argNames = map[args]string{
	argsNone: "", argsFile: "FILE", argsFileSize: "FILE SIZE", argsRange: "FILE OFF LEN", argsThread: "THREAD",
	argsTwoFiles: "SRC DST",
}

func (p *parser) positional(op *Op, name token, pos []token) bool {
	shape := opTable[op.Kind].args
	want := map[args]int{argsNone: 0, argsFile: 1, argsFileSize: 2, argsRange: 3, argsThread: 1, argsTwoFiles: 2}[shape]
	if len(pos) < want {
		at := after(name)
		if len(pos) > 0 {
			at = after(pos[len(pos)-1])
		}
		p.errorf(at, "%s needs %s", name.text, argNames[shape])
		return false
	}
	if len(pos) > want {
		p.errorf(pos[want].pos, "unexpected %q: %s takes %s", pos[want].text, name.text, orNothing(argNames[shape]))
		return false
	}
	ok := true
	switch shape {
	case argsThread:
		return p.threadArg(op, name, pos[0])
	case argsFile, argsFileSize, argsRange:
		if !fileRE.MatchString(pos[0].text) {
			p.errorf(pos[0].pos, "bad file name %q", pos[0].text)
			ok = false
		}
		op.File = pos[0].text
	case argsTwoFiles:
		for _, f := range pos {
			if !fileRE.MatchString(f.text) {
				p.errorf(f.pos, "bad file name %q", f.text)
				ok = false
			}
		}
		op.Src, op.File = pos[0].text, pos[1].text
		if ok && op.Src == op.File {
			p.errorf(pos[1].pos, "%s of %s onto itself", name.text, op.File)
			ok = false
		}
	}
	size := func(t token, dst *int64) {
		n, err := ParseSize(t.text)
		if err != nil {
			p.errorf(t.pos, "%v", err)
			ok = false
		}
		*dst = n
	}
	switch shape {
	case argsFileSize:
		size(pos[1], &op.Len)
	case argsRange:
		size(pos[1], &op.Off)
		size(pos[2], &op.Len)
		if ok && op.Len == 0 {
			p.errorf(pos[2].pos, "%s of 0 bytes", name.text)
			ok = false
		}
		if ok && op.Off+op.Len > maxOffset {
			p.errorf(pos[2].pos, "range ends past 1T")
			ok = false
		}
	}
	return ok
}

func orNothing(s string) string {
	if s == "" {
		return "no arguments"
	}
	return s
}

func (p *parser) threadArg(op *Op, name, arg token) bool {
	t := arg.text
	if op.Kind == OpAwait {
		base, what, found := strings.Cut(t, ".")
		park, isNamed := strings.CutPrefix(what, "parked(")
		switch {
		case found && isNamed && strings.HasSuffix(park, ")") && identRE.MatchString(strings.TrimSuffix(park, ")")):
			op.ParkName = strings.TrimSuffix(park, ")")
		case found && (what == "stalled" || what == "parked" || what == "done" || what == "blocked"):
			op.Done, op.Blocked = what == "done", what == "blocked"
		default:
			p.errorf(arg.pos, "await wants THREAD.stalled, THREAD.parked, THREAD.parked(NAME), THREAD.blocked or THREAD.done, found %q", t)
			return false
		}
		t = base
	} else if base, park, found := strings.Cut(t, "."); found {
		if !identRE.MatchString(park) {
			p.errorf(arg.pos, "release wants THREAD or THREAD.NAME (a park-at name), found %q", t)
			return false
		}
		t, op.ParkName = base, park
	}
	if !identRE.MatchString(t) {
		p.errorf(arg.pos, "bad thread name %q", t)
		return false
	}
	op.Thread = t
	return true
}

func (p *parser) option(op *Op, t token) bool {
	key, val, hasVal := strings.Cut(t.text, "=")
	info := opTable[op.Kind]
	if key != "may-fail" && !contains(info.opts, key) {
		if len(info.opts) == 0 {
			p.errorf(t.pos, "%s takes no option %q (only may-fail)", info.name, key)
		} else {
			p.errorf(t.pos, "%s takes no option %q (options: %s, may-fail)", info.name, key, strings.Join(info.opts, ", "))
		}
		return false
	}
	flag := key == "may-fail" || key == "keep-size"
	if flag == hasVal {
		if flag {
			p.errorf(t.pos, "%s is a flag and takes no value", key)
		} else {
			p.errorf(t.pos, "%s needs a value (%s=...)", key, key)
		}
		return false
	}
	var err error
	switch key {
	case "may-fail":
		op.MayFail = true
	case "keep-size":
		if op.Kind == OpZero {
			op.Mode = vfs.FallocZeroKeepSize
		} else {
			op.Mode = vfs.FallocKeepSize
		}
	case "fill":
		op.Fill, err = parseByte(val)
	case "stall-at":
		op.StallAt, err = ParseSize(val)
	case "fault-at":
		op.FaultAt, err = ParseSize(val)
	}
	if err != nil {
		p.errorf(t.pos, "%s: %v", key, err)
		return false
	}
	return true
}

// checkOp fills the mode defaults and checks option values against the range.
func (p *parser) checkOp(op *Op, name token) bool {
	switch op.Kind {
	case OpFallocate:
		if op.Mode != vfs.FallocKeepSize {
			op.Mode = vfs.FallocAllocate
		}
	case OpPunch:
		op.Mode = vfs.FallocPunch
	case OpZero:
		if op.Mode != vfs.FallocZeroKeepSize {
			op.Mode = vfs.FallocZero
		}
	}
	ok := true
	for _, o := range []struct {
		key string
		v   int64
	}{{"stall-at", op.StallAt}, {"fault-at", op.FaultAt}} {
		if o.v != vfs.NoOffset && o.v >= op.Len {
			p.errorf(name.pos, "%s=%s lies outside the %s bytes written (it is an offset into the source buffer)", o.key, FormatSize(o.v), FormatSize(op.Len))
			ok = false
		}
	}
	if op.StallAt != vfs.NoOffset && op.FaultAt != vfs.NoOffset && op.FaultAt <= op.StallAt {
		p.errorf(name.pos, "fault-at must lie after stall-at: the write never reaches a stall past its fault")
		ok = false
	}
	return ok
}
