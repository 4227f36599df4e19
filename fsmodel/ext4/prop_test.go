package ext4

import (
	"fmt"
	"testing"

	"iomaplab/check"
	"iomaplab/internal/vfstest"
	"iomaplab/lab"
)

const bs = 4096

// propGen draws the property test's operations. With BlockFaults, a
// pwrite's source faults only at a file block boundary: the iomap engine
// accepts a short copy into a block it zeroed only outside the write (as
// __iomap_write_end does once the block is uptodate), leaving the uncopied
// bytes of that block as whatever the recycled folio memory held; that is
// the engine's behaviour to settle, not this model's, so the iomap-path run
// stays off it.
func propGen(blockFaults bool) vfstest.Gen {
	return vfstest.Gen{
		Kinds: []string{"pwrite", "pwrite", "pwrite", "pread", "map-store", "map-store", "map-load",
			"fallocate", "fallocate", "zero-range", "zero-range", "truncate", "fsync", "fsync", "sync-range", "fadvise", "reclaim",
			"drop-caches", "remount"},
		BlockSize:   bs,
		MaxFile:     96 << 10,
		MaxLen:      8 * bs,
		BlockFaults: blockFaults,
	}
}

// transition is one model state change the property test must exercise,
// recognised by a tracepoint (and optionally one field's value).
type transition struct {
	name, tracepoint, field string
	value                   int64
}

var transitions = []transition{
	{"hole -> delayed (da_map insert)", "ext4_es_insert_delayed_block", "", 0},
	{"da_map finds no entry", "ext4_es_lookup_extent", "status", int64(esNone)},
	{"da_map finds a cached hole", "ext4_es_lookup_extent", "status", int64(esHole)},
	{"da_map finds delayed", "ext4_es_lookup_extent", "status", int64(esDelayed)},
	{"da_map finds unwritten", "ext4_es_lookup_extent", "status", int64(esUnwritten)},
	{"da_map finds written", "ext4_es_lookup_extent", "status", int64(esWritten)},
	{"delayed -> allocated at writeback", "da_update_reserve", "claimed", 1},
	{"delayed -> allocated by fallocate", "da_update_reserve", "claimed", 0},
	{"delayed removed (release)", "da_release", "", 0},
	{"hole -> unwritten (allocate)", "ext4_allocate_blocks", "", 0},
	{"unwritten -> written (I/O end)", "ext4_ext_convert", "to", int64(esWritten)},
	{"written -> unwritten (zero range)", "ext4_ext_convert", "to", int64(esUnwritten)},
	{"allocated -> free (punch, truncate)", "ext4_free_blocks", "", 0},
	{"write-protected page -> page_mkwrite", "ext4_page_mkwrite", "", 0},
}

// coverage counts each transition over every run.
type coverage map[string]int

func (c coverage) add(recs []lab.Record) {
	for _, r := range recs {
		if r.Kind != lab.KindTrace {
			continue
		}
		for _, tr := range transitions {
			if r.Name != tr.tracepoint {
				continue
			}
			if v, _ := r.Get(tr.field); tr.field == "" || v == tr.value {
				c[tr.name]++
			}
		}
	}
}

func (c coverage) Missing() []string {
	var out []string
	for _, tr := range transitions {
		if c[tr.name] == 0 {
			out = append(out, tr.name)
		}
	}
	return out
}

// runOps applies ops to a fresh model and the reference, checking data,
// size, fsck and reservations after every op (I/O drained), and that no
// reservation was left at any remount.
func runOps(ops []vfstest.Op, opts Options, cov coverage) (failure error) {
	w := lab.NewWorld(lab.Config{TraceCap: 1 << 17})
	res := w.Run(func(t *lab.Thread) {
		opts.Blocks = 64
		fs := New(t, opts)
		vf, _ := fs.Open(t, "f")
		f := vf.(*File)
		var ref check.RefFile
		r := vfstest.Runner{FS: fs, File: f, Ref: &ref, ExactFaults: true, Verify: func(t *lab.Thread, o vfstest.Op) error {
			if err := verify(t, fs, f, &ref); err != nil {
				return err
			}
			if o.Kind == "remount" && len(fs.NotCleared(t)) > 0 {
				return fmt.Errorf("%q", fs.NotCleared(t))
			}
			return nil
		}}
		if failure = r.Run(t, ops); failure != nil {
			return
		}
		if err := fs.ReservationsCleared(t); err != nil {
			failure = fmt.Errorf("final: %w", err)
		} else if err := verify(t, fs, f, &ref); err != nil {
			failure = fmt.Errorf("final remount: %w", err)
		}
	})
	cov.add(res.Trace.Records())
	if !res.OK() && failure == nil {
		failure = fmt.Errorf("run: %v", res)
	}
	return failure
}

// verify compares the whole file with the reference and runs the
// quiescent oracles once the file's I/O has completed.
func verify(t *lab.Thread, fs *FS, f *File, ref *check.RefFile) error {
	size, _ := f.Size(t)
	got := make([]byte, size+1)
	n, err := f.Pread(t, got, 0)
	if err != nil {
		return err
	}
	if m := ref.CompareRange(got[:n], 0, size); m != nil {
		return m
	}
	if int64(n) != size {
		return fmt.Errorf("read %d bytes of %d", n, size)
	}
	fs.Dev().WaitInode(t, f.Ino(), 0, ^uint64(0))
	if err := fs.Fsck(t); err != nil {
		return err
	}
	return fs.CheckReservations(t)
}

func propertyTest(t *testing.T, opts Options) {
	total, set := vfstest.Budget(4000)
	if raceEnabled && !set {
		total /= 2
	}
	cov := coverage{}
	vfstest.Property(t, propGen(opts.IOMAP), total, cov, func(ops []vfstest.Op) error {
		return runOps(ops, opts, cov)
	})
}

func TestPropertyLegacy(t *testing.T) { propertyTest(t, Options{}) }

func TestPropertyIOMAP(t *testing.T) { propertyTest(t, Options{IOMAP: true}) }
