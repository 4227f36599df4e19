package model

import (
	"errors"
	"fmt"
	"strings"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/ext4"
	"iomaplab/fsmodel/variant"
	"iomaplab/fsmodel/xfs"
	"iomaplab/lab"
	"iomaplab/scenario"
	"iomaplab/vfs"
)

// DefaultDevSize is the block device's size when the fs line has no dev=.
const DefaultDevSize = 2 << 20

// Target runs scenarios on the engine. It keeps no state between runs, so
// one Target serves any number of runs, one after another or at once.
type Target struct {
	Variant variant.Variant
	// DevDir, if set, backs each run's block device with a sparse file made
	// in that directory (unlinked at once, so nothing is left behind, and
	// closed at Unmount); "" backs it with memory.
	DevDir string
}

var _ scenario.Unmounter = (*Target)(nil)

// New returns the model target for variant v.
func New(v variant.Variant) *Target { return &Target{Variant: v} }

var _ scenario.Supporter = (*Target)(nil)

// Supports implements scenario.Supporter.
func (m *Target) Supports(spec scenario.FSSpec) error {
	switch spec.Type {
	case "xfs":
		return nil
	case "ext4":
		if spec.FolioSize > blockdev.BlockSize {
			return errors.New("the ext4 model has 4k folios only")
		}
		if spec.Flusher || spec.Kswapd {
			return errors.New("the ext4 model has no flusher or kswapd daemon")
		}
		return nil
	}
	return fmt.Errorf("no %s model", spec.Type)
}

// Mount implements scenario.Target: a fresh block device and filesystem.
func (m *Target) Mount(t *lab.Thread, spec scenario.FSSpec) (vfs.FS, error) {
	size := spec.DevSize
	if size == 0 {
		size = DefaultDevSize
	}
	dev, err := m.newDevice(uint64(size / blockdev.BlockSize))
	if err != nil {
		return nil, err
	}
	if spec.Type == "ext4" {
		return ext4.New(t, ext4.Options{Dev: dev, Variant: m.Variant, IOMAP: spec.Iomap, NoDelalloc: spec.NoDelalloc}), nil
	}
	return xfs.Mount(t, dev, xfs.Options{FolioSize: spec.FolioSize, Variant: m.Variant, Flusher: spec.Flusher, Reclaimer: spec.Kswapd, CowExtSize: spec.CowExtSize, AllocSize: spec.AllocSize}), nil
}

// newDevice makes a run's block device: a sparse file in DevDir, or memory.
func (m *Target) newDevice(blocks uint64) (blockdev.Dev, error) {
	if m.DevDir == "" {
		return blockdev.NewMemory(blocks), nil
	}
	return blockdev.NewTempFile(m.DevDir, blocks)
}

// Unmount implements scenario.Unmounter: it closes the run's block device.
func (m *Target) Unmount(fsys vfs.FS) error {
	if d, ok := fsys.(interface{ Dev() blockdev.Dev }); ok {
		return d.Dev().Close()
	}
	return nil
}

// Check implements scenario.Target: the model's fsck, reservation and
// ownership oracles; after the runner's remount also reservations-cleared
// (no reservation may survive sync + evict).
func (m *Target) Check(t *lab.Thread, fsys vfs.FS, at scenario.Quiescent) []scenario.Violation {
	switch fs := fsys.(type) {
	case *xfs.FS:
		if at == scenario.AfterRemount {
			return violations(fs.CheckCleared(t))
		}
		return violations(fs.Check(t))
	case *ext4.FS:
		return checkExt4(t, fs, at)
	}
	return []scenario.Violation{{Oracle: "fsck", Message: fmt.Sprintf("model target cannot check a %T", fsys)}}
}

// checkExt4 runs the ext4 model's oracles. Before the remount the in-core
// extent status trees are still there, so fsck sees a delayed entry over an
// allocated block; the remount's evict logs "not cleared!" for a leaked
// reservation.
func checkExt4(t *lab.Thread, fs *ext4.FS, at scenario.Quiescent) []scenario.Violation {
	var out []scenario.Violation
	add := func(oracle string, err error) {
		for _, v := range violations(err) {
			out = append(out, scenario.Violation{Oracle: oracle, Message: v.Message})
		}
	}
	add("fsck", fs.Fsck(t))
	add("reservations-cleared", fs.CheckReservations(t))
	if at == scenario.AfterRemount {
		for _, l := range fs.NotCleared(t) {
			out = append(out, scenario.Violation{Oracle: "reservations-cleared", Message: l})
		}
	}
	for _, v := range fs.Dev().Violations(t) {
		out = append(out, scenario.Violation{Oracle: "ownership", Message: fmt.Sprintf("block ownership: %v", v)})
	}
	return out
}

// violations splits the engine's joined oracle errors by their prefixes.
func violations(err error) []scenario.Violation {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []scenario.Violation
	for _, e := range errs {
		if e == nil {
			continue
		}
		if _, ok := e.(interface{ Unwrap() []error }); ok {
			out = append(out, violations(e)...)
			continue
		}
		msg := e.Error()
		out = append(out, scenario.Violation{Oracle: oracleOf(msg), Message: msg})
	}
	return out
}

// oracleOf names the oracle behind an engine message.
func oracleOf(msg string) string {
	switch {
	case strings.HasPrefix(msg, "reservations:"):
		return "reservations-cleared"
	case strings.HasPrefix(msg, "block ownership"):
		return "ownership"
	case strings.HasPrefix(msg, "fsck:"):
		return "fsck"
	}
	if o := scenario.ClassifyByPrefix(msg); o != "" {
		return o
	}
	return "fsck"
}

// Classify implements scenario.Target for Thread.Fail messages: the block
// device's ownership oracle, the iterator's livelock bound, the protocol
// oracle of iomap_valid.
func (m *Target) Classify(msg string) string {
	if strings.HasPrefix(msg, "block ownership") {
		return "ownership"
	}
	return scenario.ClassifyByPrefix(msg)
}

// Reachability tracepoints: a folio was locked while the cached mapping's
// cookie no longer matched, whether or not the variant noticed.
var reachable = []string{"iomap_invalid", "iomap_stale_reached", "wb_iomap_invalid", "wb_stale_reached", "wb_cow_iomap_invalid", "wb_cow_stale_reached", "wb_cow_map_stale_reached"}

// Evidence implements scenario.Target: "reachable" sums the reachability
// tracepoints and ext4_da_map_blocks windows that another thread's
// allocation hit (ext4.RaceWindows, over the trace records kept); other
// names are left to the runner's tracepoint counts.
func (m *Target) Evidence(w *lab.World, name string) (int, bool) {
	if name != "reachable" {
		return 0, false
	}
	n := ext4.RaceWindows(w.Trace().Records())
	for _, tp := range reachable {
		n += w.Trace().Count(tp)
	}
	return n, true
}

// ForVariant builds the memory-backed model target for a variant name
// ("correct", "no-validate", ...): the target factory explore and replay
// take.
func ForVariant(name string) (scenario.Target, error) { return FileBacked("")(name) }

// FileBacked returns a target factory whose targets back each run's block
// device with a sparse file in dir (memory if dir is "").
func FileBacked(dir string) func(variant string) (scenario.Target, error) {
	return func(name string) (scenario.Target, error) {
		v, err := variant.Parse(name)
		if err != nil {
			return nil, err
		}
		return &Target{Variant: v, DevDir: dir}, nil
	}
}
