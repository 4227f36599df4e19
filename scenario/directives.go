package scenario

import (
	"strconv"
	"strings"
	"syscall"

	"iomaplab/lab"
)

// The directives after the threads: what a run must show (expect), what
// the mutation matrix expects (catches, clean), injection rules and kernel
// notes.

func (p *parser) expectLine(l *line) {
	kw := l.toks[0]
	if len(l.toks) < 2 {
		p.errorf(after(kw), "expect needs oracles or evidence")
		return
	}
	for _, it := range splitItems(l.toks[1:]) {
		toks := it.toks
		if len(toks) == 0 {
			if !it.last {
				p.errorf(it.at, "empty expectation between ';'")
			}
			continue
		}
		e := Expectation{Pos: toks[0].pos}
		switch {
		case len(toks) == 1 && contains(Oracles, toks[0].text):
			e.Oracle = toks[0].text
			p.sc.Expect = append(p.sc.Expect, e)
			continue
		case toks[0].text == "trace" && len(toks) >= 2:
			e.Evidence = toks[1].text
			if !contains(Tracepoints, e.Evidence) {
				p.errorf(toks[1].pos, "unknown tracepoint %q (the engine's: %s)", e.Evidence, strings.Join(Tracepoints, ", "))
				continue
			}
			toks = toks[2:]
		case EvidenceAliases[toks[0].text] != "" || toks[0].text == "reachable":
			e.Evidence = toks[0].text
			toks = toks[1:]
		default:
			p.errorf(toks[0].pos, "unknown expectation %q (oracles: %s; evidence: stale, wb_stale, remaps, reachable, trace NAME, with a comparison)", toks[0].text, strings.Join(Oracles, ", "))
			continue
		}
		if len(toks) == 0 {
			p.errorf(e.Pos, "%s needs a comparison, e.g. %s >= 1", e.Evidence, e.Evidence)
			continue
		}
		if !contains([]string{">=", "<=", "==", "!=", ">", "<"}, toks[0].text) {
			p.errorf(toks[0].pos, "expected a comparison (>=, <=, ==, !=, >, <), found %q", toks[0].text)
			continue
		}
		e.Cmp = toks[0].text
		if len(toks) < 2 {
			p.errorf(after(toks[0]), "expected a count after %s", e.Cmp)
			continue
		}
		n, err := strconv.ParseUint(toks[1].text, 10, 31)
		if err != nil {
			p.errorf(toks[1].pos, "bad count %q", toks[1].text)
			continue
		}
		if len(toks) > 2 {
			p.errorf(toks[2].pos, "unexpected %q (separate expectations with ';')", toks[2].text)
			continue
		}
		e.N = int64(n)
		p.sc.Expect = append(p.sc.Expect, e)
	}
}

func (p *parser) variant(t token) bool {
	if !contains(Variants, t.text) {
		p.errorf(t.pos, "unknown variant %q (want one of %s)", t.text, strings.Join(Variants, ", "))
		return false
	}
	if t.text == "correct" {
		p.errorf(t.pos, "correct must always be clean; it needs no line")
		return false
	}
	if prev, dup := p.once["variant "+t.text]; dup {
		p.errorf(t.pos, "variant %s already has a catches or clean line (line %d)", t.text, prev.Line)
		return false
	}
	p.once["variant "+t.text] = t.pos
	return true
}

func (p *parser) catchesLine(l *line) {
	kw := l.toks[0]
	if len(l.toks) < 3 {
		p.errorf(after(l.toks[len(l.toks)-1]), "catches needs VARIANT and at least one ORACLE")
		return
	}
	if !p.variant(l.toks[1]) {
		return
	}
	c := Catch{Pos: kw.pos, Variant: l.toks[1].text}
	for _, t := range l.toks[2:] {
		if !contains(Oracles, t.text) {
			p.errorf(t.pos, "unknown oracle %q (want %s)", t.text, strings.Join(Oracles, ", "))
			return
		}
		c.Oracles = append(c.Oracles, t.text)
	}
	p.sc.Catches = append(p.sc.Catches, c)
}

func (p *parser) cleanLine(l *line) {
	if len(l.toks) < 2 {
		p.errorf(after(l.toks[0]), "clean needs at least one VARIANT")
		return
	}
	for _, t := range l.toks[1:] {
		if p.variant(t) {
			p.sc.Clean = append(p.sc.Clean, t.text)
		}
	}
}

var injectErrs = map[string]syscall.Errno{"EIO": syscall.EIO, "ENOSPC": syscall.ENOSPC}

func (p *parser) injectLine(l *line) {
	kw := l.toks[0]
	if len(l.toks) < 3 {
		p.errorf(after(l.toks[len(l.toks)-1]), "inject needs POINT and an action (park, delay=N, fail=EIO|ENOSPC)")
		return
	}
	pt := l.toks[1]
	if !contains(Points, pt.text) {
		p.errorf(pt.pos, "unknown injection point %q (want one of %s)", pt.text, strings.Join(Points, ", "))
		return
	}
	r := lab.Rule{Point: pt.text}
	act := l.toks[2]
	key, val, _ := strings.Cut(act.text, "=")
	switch {
	case act.text == "park":
		r.Action = lab.Park
	case key == "delay":
		n, err := strconv.ParseUint(val, 10, 16)
		if err != nil || n == 0 {
			p.errorf(act.pos, "delay wants a count of yields, 1..65535")
			return
		}
		r.Action, r.N = lab.Delay, int(n)
	case key == "fail":
		e, ok := injectErrs[val]
		if !ok {
			p.errorf(act.pos, "fail wants EIO or ENOSPC, found %q", val)
			return
		}
		r.Action, r.Err = lab.Fail, e
	default:
		p.errorf(act.pos, "unknown action %q (want park, delay=N or fail=EIO|ENOSPC)", act.text)
		return
	}
	for _, t := range l.toks[3:] {
		key, val, _ := strings.Cut(t.text, "=")
		switch key {
		case "thread":
			if !identRE.MatchString(val) {
				p.errorf(t.pos, "bad thread name %q", val)
				return
			}
			r.Thread = val
		case "hit":
			n, err := strconv.ParseUint(val, 10, 31)
			if err != nil || n == 0 {
				p.errorf(t.pos, "hit wants a positive count (the k-th hit of the point)")
				return
			}
			r.Hit = int(n)
		default:
			p.errorf(t.pos, "unknown inject option %q (want thread=NAME or hit=K)", t.text)
			return
		}
	}
	if r.Action == lab.Park && r.Hit == 0 {
		p.errorf(kw.pos, "a park rule needs hit=K: parking on every hit could never be released")
		return
	}
	p.sc.Rules = append(p.sc.Rules, r)
	p.sc.RulePos = append(p.sc.RulePos, kw.pos)
}

func (p *parser) kernelLine(l *line) {
	kw := l.toks[0]
	if len(l.toks) < 2 {
		p.errorf(after(kw), "kernel wants skip TEXT, fs LIST or note TEXT")
		return
	}
	k := &p.sc.Kernel
	switch sub := l.toks[1]; sub.text {
	case "skip", "note":
		text := l.rest(1)
		if text == "" {
			p.errorf(after(sub), "kernel %s needs text", sub.text)
			return
		}
		if sub.text == "skip" {
			k.Skip = text
		} else {
			k.Notes = append(k.Notes, text)
		}
	case "fs":
		if len(l.toks) != 3 {
			p.errorf(after(sub), "kernel fs wants one comma-separated list, e.g. xfs,ext4")
			return
		}
		for _, f := range strings.Split(l.toks[2].text, ",") {
			if !contains([]string{"xfs", "ext4", "btrfs", "tmpfs"}, f) {
				p.errorf(l.toks[2].pos, "unknown kernel fs %q (want xfs, ext4, btrfs, tmpfs)", f)
				return
			}
			k.FS = append(k.FS, f)
		}
	default:
		p.errorf(sub.pos, "kernel wants skip TEXT, fs LIST or note TEXT, found %q", sub.text)
	}
}
