package kernel

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"iomaplab/kernel/tracefs"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/vfs"
)

// ScenarioEnv is what the scenario targets of one kernel run share: the
// supervisor that owns every resource, the private workspace, the kernel
// log read from the start of the run and the private tracefs instance.
type ScenarioEnv struct {
	sup   *Supervisor
	ws    *Workspace
	kmsg  *Kmsg
	trace *tracefs.Instance
	have  map[string]bool // trace events the kernel has
	// Watchdog bounds how long a parked write waits for its release.
	Watchdog time.Duration
	// OnParked runs (on a supervised goroutine, the writer waiting for it)
	// when a writer has parked, before the writer's lab thread parks; tests
	// inject a block or a panic here.
	OnParked func()

	scratchDev string
	destroy    bool
	devUsed    bool
}

// OpenScenarioEnv opens the kernel log, the workspace and the tracefs
// instance, each registered with sup. scratchDev, if set, is used instead
// of loop images (destroy: it may hold a filesystem).
func OpenScenarioEnv(sup *Supervisor, scratchDev string, destroy bool) (*ScenarioEnv, error) {
	env := &ScenarioEnv{sup: sup, Watchdog: 10 * time.Second, scratchDev: scratchDev, destroy: destroy}
	var err error
	if env.kmsg, err = OpenKmsg(); err != nil {
		return nil, err
	}
	sup.Defer("close /dev/kmsg", env.kmsg.Close)
	if env.ws, err = NewWorkspace(sup); err != nil {
		return nil, err
	}
	if env.trace, env.have, err = openTrace(sup, env.ws); err != nil {
		return nil, err
	}
	return env, nil
}

// ScenarioTarget is a scenario.Target over one real filesystem: a scratch
// filesystem of its type, made once and reused by every run with a clean
// file set (Mount removes the previous run's files). Runs are one at a time.
//
// Oracles (Check): at each quiescent point every file is fsynced and read
// with O_DIRECT, which must equal its page-cache view (the runner compares
// that with the reference model); FIEMAP must show a written extent under
// every block holding data. After the remount: the kernel log since the
// previous check (WARN, BUG, hung task, filesystem errors about our device
// or threads: oracle "kernel-log"), and faults the watchdog had to resolve.
//
// Evidence (XFS only; n/a elsewhere): stale counts xfs_iomap_invalid in the
// parked writers' threads (in every scenario-thread pwrite of a free race);
// wb_stale counts xfs_wb_data_iomap_invalid for the files in any thread.
type ScenarioTarget struct {
	env     *ScenarioEnv
	fsType  string
	scratch *Scratch
	fs      *FS
	run     *scenarioRun
}

var _ scenario.Target = (*ScenarioTarget)(nil)

// Target makes the scratch filesystem of type fstype (mkfs on a fresh loop
// image, or on the scratch device) and returns its target. Close it before
// asking for the next one.
func (env *ScenarioEnv) Target(fstype string) (*ScenarioTarget, error) {
	var s *Scratch
	var err error
	if env.scratchDev != "" {
		// After the first filesystem the device holds only what we made.
		s, err = env.ws.UseDevice(env.scratchDev, fstype, env.destroy || env.devUsed)
		env.devUsed = true
	} else {
		s, err = env.ws.NewScratch(fstype)
	}
	if err != nil {
		return nil, err
	}
	env.kmsg.Watch(s)
	fsys := NewFS(env.sup, s)
	fsys.Watchdog = env.Watchdog
	return &ScenarioTarget{env: env, fsType: fstype, scratch: s, fs: fsys}, nil
}

// FSType is the real filesystem the target runs on.
func (tg *ScenarioTarget) FSType() string { return tg.fsType }

// Close removes the last run's files and unmounts and detaches the scratch
// filesystem.
func (tg *ScenarioTarget) Close() error {
	err := tg.removeFiles()
	if cerr := tg.fs.Close(); err == nil {
		err = cerr
	}
	if serr := tg.scratch.Close(); err == nil {
		err = serr
	}
	return err
}

func (tg *ScenarioTarget) removeFiles() error {
	if tg.run == nil {
		return nil
	}
	var errs []string
	for _, f := range tg.run.files {
		if err := tg.fs.Remove(f.File); err != nil {
			errs = append(errs, fmt.Sprintf("remove %s: %v", f.name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// Mount implements scenario.Target: the scratch filesystem with the
// previous run's files removed and the trace buffer emptied. On XFS it is
// mounted again when the fs line's allocsize= differs from the mount's
// (xfsMountOptions), and the mount's root directory gets the fs line's
// cowextsize hint (none when the line has none), which the run's files
// inherit. The other model options
// (folio=, dev=, iomap) have no kernel meaning: the kernel picks its folio
// sizes, the image is ImageSize, ext4 takes the path the running kernel has.
func (tg *ScenarioTarget) Mount(_ *lab.Thread, spec scenario.FSSpec) (vfs.FS, error) {
	if err := tg.removeFiles(); err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(tg.scratch.Mnt); err == nil {
		for _, e := range ents {
			if e.Name() != "lost+found" {
				return nil, fmt.Errorf("scratch filesystem not clean: %s left in %s", e.Name(), tg.scratch.Mnt)
			}
		}
	}
	if tg.fsType == "xfs" {
		if err := tg.scratch.remountWith(xfsMountOptions(spec)); err != nil {
			return nil, err
		}
		if err := setCowExtSize(tg.scratch.Mnt, spec.CowExtSize); err != nil {
			return nil, err
		}
	}
	tg.run = &scenarioRun{tg: tg, start: time.Now()}
	if err := tg.env.trace.FilterAll("ino == 0"); err != nil {
		return nil, err
	}
	if err := tg.env.trace.Clear(); err != nil {
		return nil, err
	}
	return &scenarioFS{FS: tg.fs, run: tg.run}, nil
}

// Classify implements scenario.Target: the kernel target never calls
// Thread.Fail.
func (tg *ScenarioTarget) Classify(msg string) string { return scenario.ClassifyByPrefix(msg) }

// Evidence implements scenario.Target (see ScenarioTarget). Names it does
// not count, and every name on ext4 and btrfs, are not known: the runner
// then falls back to the lab trace's count, which on this target is always
// 0, so RunScenarios marks those results not known again (EvidenceKnown).
func (tg *ScenarioTarget) Evidence(_ *lab.World, name string) (int, bool) {
	if !tg.EvidenceKnown(name) || tg.run == nil {
		return 0, false
	}
	st := tg.run.stats()
	switch name {
	case "stale":
		return st.stale, true
	case "wb_stale":
		return st.wbStale, true
	case "wb_cow_iomap_invalid":
		return st.wbCow, true
	case evPrealloc:
		return st.prealloc, true
	}
	return 0, false
}

// EvidenceKnown reports whether the target counts the evidence name here.
func (tg *ScenarioTarget) EvidenceKnown(name string) bool {
	if tg.fsType != "xfs" {
		return false
	}
	switch name {
	case "stale":
		return tg.env.have[evInvalid]
	case "wb_stale":
		return tg.env.have[evWBInvalid]
	case "wb_cow_iomap_invalid":
		return tg.env.have[evWBCow]
	case evPrealloc:
		return tg.env.have[evPrealloc]
	}
	return false
}

// Check implements scenario.Target.
func (tg *ScenarioTarget) Check(_ *lab.Thread, fsys vfs.FS, at scenario.Quiescent) []scenario.Violation {
	sfs, ok := fsys.(*scenarioFS)
	if !ok {
		return []scenario.Violation{{Oracle: "failed", Message: fmt.Sprintf("kernel target cannot check a %T", fsys)}}
	}
	run := sfs.run
	var out []scenario.Violation
	shown := run.shownFile()
	for _, f := range run.files {
		out = append(out, f.check(at, f == shown)...)
	}
	if at != scenario.AfterRemount {
		return out
	}
	probs, err := tg.env.kmsg.Problems(ourThread)
	if err != nil {
		probs = append(probs, err.Error())
	}
	run.mu.Lock()
	run.kmsg = append(run.kmsg, probs...)
	fired := run.watchdog
	run.mu.Unlock()
	for _, p := range probs {
		out = append(out, scenario.Violation{Oracle: "kernel-log", Message: p})
	}
	if fired > 0 {
		out = append(out, scenario.Violation{Oracle: "watchdog",
			Message: fmt.Sprintf("the uffd watchdog resolved %d parked write(s) nobody released within %v", fired, tg.env.Watchdog)})
	}
	return out
}

// check is the per-file part of Check: O_DIRECT after fsync equals the
// page cache, and FIEMAP backs every block of data with a written extent.
func (f *scenarioFile) check(at scenario.Quiescent, shown bool) []scenario.Violation {
	var out []scenario.Violation
	bad := func(oracle, format string, args ...any) {
		out = append(out, scenario.Violation{Oracle: oracle, Message: fmt.Sprintf("%s %s: ", f.name, at) + fmt.Sprintf(format, args...)})
	}
	size, err := f.Size(nil)
	if err != nil {
		bad("data", "stat: %v", err)
		return out
	}
	cached := make([]byte, size)
	if _, err := f.File.Pread(nil, cached, 0); err != nil {
		bad("data", "buffered read: %v", err)
		return out
	}
	if err := f.Fsync(nil); err != nil {
		bad("data", "fsync: %v", err)
		return out
	}
	direct, err := f.ReadDirect(size)
	if err != nil {
		bad("data", "%v", err)
		return out
	}
	if off := firstDiff(cached, direct); off >= 0 {
		d := byte(0)
		if off < int64(len(direct)) {
			d = direct[off]
		}
		bad("data", "O_DIRECT read after fsync differs from the page cache at offset %d (0x%x): device 0x%02x, page cache 0x%02x (%d vs %d bytes)",
			off, off, d, cached[off], len(direct), len(cached))
	}
	exts, err := f.Extents()
	if err != nil {
		bad("fsck", "%v", err)
		return out
	}
	if off := unbackedData(exts, cached, 4096); off >= 0 {
		bad("fsck", "FIEMAP after fsync: data at offset %d has no written extent: %v", off, exts)
	}
	if shown && at == scenario.BeforeRemount {
		f.run.mu.Lock()
		f.run.after = exts
		f.run.mu.Unlock()
	}
	return out
}

// firstDiff returns the first offset where a and b differ (a length
// difference counts at the shorter length), or -1.
func firstDiff(a, b []byte) int64 {
	if bytes.Equal(a, b) { // the common case, without a byte loop (slow under -race)
		return -1
	}
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return int64(i)
		}
	}
	if len(a) != len(b) {
		return int64(n)
	}
	return -1
}

// scenarioFS is the vfs.FS one run sees: the scratch FS, whose Open wraps
// files so the run can park writers and count evidence per inode.
type scenarioFS struct {
	*FS
	run *scenarioRun
}

// Open implements vfs.FS.
func (sfs *scenarioFS) Open(_ *lab.Thread, name string) (vfs.File, error) {
	if filepath.Base(name) != name {
		return nil, fmt.Errorf("file name %q: no directories on the kernel target", name)
	}
	f, err := sfs.OpenFile(name)
	if err != nil {
		return nil, err
	}
	sf := &scenarioFile{File: f, run: sfs.run}
	if err := sfs.run.addFile(sf); err != nil {
		return nil, err
	}
	return sf, nil
}

// scenarioFile is a File whose Pwrite parks the calling lab thread while a
// stall-at write is parked on its userfaultfd page (scenario_pwrite.go).
type scenarioFile struct {
	*File
	run *scenarioRun
}

// scenarioRun is one run's state on the target.
type scenarioRun struct {
	tg    *ScenarioTarget
	start time.Time

	mu       sync.Mutex
	files    []*scenarioFile
	stalls   int // stall-at pwrites issued
	parked   int // of those, parked on their uffd page
	watchdog int
	kmsg     []string
	notes    []string // window steps that did not have their effect
	before   Extents  // the first scenario-thread pwrite's file, just before it
	after    Extents  // the same file (shownFile), after fsync at the first check
	befFile  *scenarioFile
	st       *runStats
}

// addFile records a file and points the trace filter at the run's inodes.
func (r *scenarioRun) addFile(f *scenarioFile) error {
	r.mu.Lock()
	r.files = append(r.files, f)
	var inos []string
	for _, x := range r.files {
		inos = append(inos, fmt.Sprintf("ino == %d", x.Ino()))
	}
	r.mu.Unlock()
	expr := fmt.Sprintf("dev == %d && (%s)", r.tg.scratch.DevT(), strings.Join(inos, " || "))
	return r.tg.env.trace.FilterAll(expr)
}

// captureBefore records, once per run, the extent map of the file the
// first scenario-thread write goes to, just before it. (Only that file: on
// XFS FIEMAP takes IOLOCK_SHARED, and another file may have a writer
// parked in it.)
func (r *scenarioRun) captureBefore(f *scenarioFile) {
	r.mu.Lock()
	if r.befFile != nil {
		r.mu.Unlock()
		return
	}
	r.befFile = f
	r.mu.Unlock()
	exts, _ := f.Extents()
	r.mu.Lock()
	r.before = exts
	r.mu.Unlock()
}

// shownFile is the file whose extents the report shows: the first
// scenario-thread pwrite's, or the first file opened if no thread wrote.
func (r *scenarioRun) shownFile() *scenarioFile {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.befFile == nil && len(r.files) > 0 {
		return r.files[0]
	}
	return r.befFile
}

// xfsMountOptions are the XFS mount options an fs line asks for: its
// allocsize= (speculative preallocation's fixed size), none by default.
func xfsMountOptions(spec scenario.FSSpec) string {
	if spec.AllocSize > 0 {
		return fmt.Sprintf("allocsize=%d", spec.AllocSize)
	}
	return ""
}
