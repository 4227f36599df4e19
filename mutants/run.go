package mutants

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Outcome is what the catalogue made of one site's mutant.
type Outcome string

// Outcomes, from best to worst for the catalogue.
const (
	// Killed: a safety oracle (scenario.Oracles) reported a violation.
	Killed Outcome = "killed"
	// Crashed: only a panic, deadlock, step limit, watchdog, an op error
	// or the timeout stopped a run; not a kill.
	Crashed Outcome = "crashed"
	// Survived: every scenario explored clean.
	Survived Outcome = "survived"
	// BuildFailed: the mutant does not compile (a misplaced marker).
	BuildFailed Outcome = "build-failed"
)

// Options configure a harness run.
type Options struct {
	Root    string // module root; "" means the working directory
	Sites   string // path.Match glob over site names; "" means all
	Budget  int    // schedules per scenario; 0 means explore's default
	All     bool   // judge every scenario, not stop at the first kill
	Timeout time.Duration
	// Progress, if set, sees each site's result as it finishes.
	Progress func(SiteResult)
}

// SiteResult is one site's verdict.
type SiteResult struct {
	Site    string  `json:"site"`
	Where   string  `json:"where"`
	Kinds   string  `json:"kinds"`
	Outcome Outcome `json:"outcome"`
	// KilledBy is the first scenario whose safety oracles fired, with them.
	KilledBy string   `json:"killed_by,omitempty"`
	Oracles  []string `json:"oracles,omitempty"`
	// Crashes are the scenarios that stopped on a non-safety class.
	Crashes []string `json:"crashes,omitempty"`
	// Equivalent is the reason equivalent.txt gives, if it lists the site.
	Equivalent string  `json:"equivalent,omitempty"`
	Detail     string  `json:"detail,omitempty"`
	Seconds    float64 `json:"seconds"`
}

// Report is a harness run.
type Report struct {
	Budget   int          `json:"budget"`
	Sites    []SiteResult `json:"sites"`
	Killed   int          `json:"killed"`
	Crashed  int          `json:"crashed"`
	Survived int          `json:"survived"`
	// Equivalent counts the sites equivalent.txt lists that were not killed.
	Equivalent  int `json:"equivalent"`
	BuildFailed int `json:"build_failed"`
	// KillRate is Killed over the sites not listed equivalent, in percent.
	KillRate float64 `json:"kill_rate"`
}

//go:embed equivalent.txt
var equivalentTxt string

// Equivalents parses equivalent.txt: "site: reason" per line, '#' comments.
func Equivalents() map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(equivalentTxt) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, ":")
		out[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	return out
}

// usageError is a bad --sites glob or a glob that matches nothing.
type usageError struct{ msg string }

func (e usageError) Error() string  { return e.msg }
func (e usageError) BadInput() bool { return true }

// envError is a missing go toolchain or an unwritable temporary directory.
type envError struct{ err error }

func (e envError) Error() string     { return e.err.Error() }
func (e envError) Unwrap() error     { return e.err }
func (e envError) Environment() bool { return true }

// Run plants each selected site's mutant in turn, builds the judge with it
// and classifies the judge's cells.
func Run(opt Options) (Report, error) {
	root := opt.Root
	if root == "" {
		root = "."
	}
	if opt.Timeout == 0 {
		opt.Timeout = 15 * time.Minute
	}
	if mod, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !bytes.HasPrefix(mod, []byte("module iomaplab\n")) {
		return Report{}, usageError{"mutants needs the iomaplab source: run it in the module's root directory"}
	}
	if _, err := exec.LookPath("go"); err != nil {
		return Report{}, envError{fmt.Errorf("mutants builds each mutant: %w", err)}
	}
	if _, err := path.Match(opt.Sites, ""); err != nil {
		return Report{}, usageError{"bad --sites glob: " + err.Error()}
	}
	all, err := Scan(root)
	if err != nil {
		return Report{}, err
	}
	var sites []Site
	for _, s := range all {
		if ok, _ := path.Match(opt.Sites, s.Name); opt.Sites == "" || ok {
			sites = append(sites, s)
		}
	}
	if len(sites) == 0 {
		return Report{}, usageError{fmt.Sprintf("no site matches %q (%d marked)", opt.Sites, len(all))}
	}
	tmp, err := os.MkdirTemp("", "mutants-")
	if err != nil {
		return Report{}, envError{err}
	}
	defer os.RemoveAll(tmp)
	equiv := Equivalents()
	rep := Report{Budget: opt.Budget}
	for _, s := range sites {
		r := runSite(root, tmp, s, opt)
		r.Equivalent = equiv[s.Name]
		rep.add(r)
		if opt.Progress != nil {
			opt.Progress(r)
		}
	}
	return rep, nil
}

func (rep *Report) add(r SiteResult) {
	rep.Sites = append(rep.Sites, r)
	switch {
	case r.Outcome == BuildFailed:
		rep.BuildFailed++
	case r.Outcome == Killed:
		rep.Killed++
	case r.Equivalent != "":
		rep.Equivalent++
	case r.Outcome == Crashed:
		rep.Crashed++
	default:
		rep.Survived++
	}
	if n := rep.Killed + rep.Crashed + rep.Survived; n > 0 {
		rep.KillRate = 100 * float64(rep.Killed) / float64(n)
	}
}

func runSite(root, tmp string, s Site, opt Options) (r SiteResult) {
	start := time.Now()
	var kinds []string
	for _, e := range s.Edits {
		if !slices.Contains(kinds, string(e.Kind)) {
			kinds = append(kinds, string(e.Kind))
		}
	}
	r = SiteResult{Site: s.Name, Where: s.Where(), Kinds: strings.Join(kinds, "+")}
	defer func() { r.Seconds = time.Since(start).Seconds() }()
	bin, err := build(root, tmp, s)
	if err != nil {
		r.Outcome, r.Detail = BuildFailed, err.Error()
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), opt.Timeout)
	defer cancel()
	args := []string{}
	if opt.Budget > 0 {
		args = append(args, "-budget", strconv.Itoa(opt.Budget))
	}
	if !opt.All {
		args = append(args, "-first")
	}
	if fs := s.Model(); fs != "" {
		args = append(args, "-fs", fs)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	cells, perr := parseCells(out)
	classify(&r, cells)
	switch {
	case ctx.Err() != nil && r.Outcome != Killed:
		r.Outcome, r.Detail = Crashed, fmt.Sprintf("timeout after %s", opt.Timeout)
	case (runErr != nil || perr != nil) && r.Outcome != Killed:
		r.Outcome, r.Detail = Crashed, strings.TrimSpace(firstLines(stderr.String(), 3)+" "+errText(runErr, perr))
	}
	return r
}

// Model is the filesystem model whose code every edit of the site is in
// ("xfs", "ext4"), or "" for shared code (iomap, page cache, extents):
// only that model's scenarios can kill the site's mutant.
func (s Site) Model() string {
	model := ""
	for i, e := range s.Edits {
		m := ""
		for _, fs := range []string{"xfs", "ext4"} {
			if strings.HasPrefix(e.File, "fsmodel/"+fs+"/") {
				m = fs
			}
		}
		if i > 0 && m != model {
			return ""
		}
		model = m
	}
	return model
}

// build compiles the judge with the site's mutated files overlaid.
func build(root, tmp string, s Site) (string, error) {
	files, err := s.Apply(root)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	overlay := map[string]string{}
	for file, src := range files {
		mut := filepath.Join(tmp, strings.ReplaceAll(file, "/", "_"))
		if err := os.WriteFile(mut, src, 0o644); err != nil {
			return "", err
		}
		overlay[filepath.Join(abs, filepath.FromSlash(file))] = mut
	}
	js, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		return "", err
	}
	ovl := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovl, js, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "judge")
	cmd := exec.Command("go", "build", "-overlay", ovl, "-o", bin, "./mutants/judge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, firstLines(string(out), 4))
	}
	return bin, nil
}

// cell is the part of explore.Cell the harness reads.
type cell struct {
	Scenario string   `json:"scenario"`
	Verdict  string   `json:"verdict"`
	Oracles  []string `json:"oracles"`
	Message  string   `json:"message"`
	Safety   []string `json:"safety"` // the fired oracles that are safety oracles
}

func parseCells(out []byte) ([]cell, error) {
	var cells []cell
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c cell
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return cells, fmt.Errorf("judge output: %w", err)
		}
		cells = append(cells, c)
	}
	return cells, sc.Err()
}

// classify sets the outcome from the judge's cells: killed by the first
// cell a safety oracle violated, else crashed if any cell stopped on
// another class or an error, else survived.
func classify(r *SiteResult, cells []cell) {
	r.Outcome = Survived
	for _, c := range cells {
		switch {
		case c.Verdict == "violation" && len(c.Safety) > 0:
			if r.Outcome != Killed {
				r.Outcome, r.KilledBy, r.Oracles = Killed, c.Scenario, c.Safety
			}
		case c.Verdict == "violation" || c.Verdict == "error":
			r.Crashes = append(r.Crashes, c.Scenario+": "+strings.Join(c.Oracles, ",")+" "+firstLines(c.Message, 1))
			if r.Outcome == Survived {
				r.Outcome = Crashed
			}
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], " | ")
}

func errText(errs ...error) string {
	if err := errors.Join(errs...); err != nil {
		return err.Error()
	}
	return ""
}
