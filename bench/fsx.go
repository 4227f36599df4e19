package bench

import (
	"errors"
	"fmt"
	"time"

	"iomaplab/blockdev"
	"iomaplab/fsmodel/xfs"
	"iomaplab/fsx"
	"iomaplab/kernel"
	"iomaplab/lab"
	"iomaplab/vfs"
)

// fsxOptions are the options every fsx target runs with: fsx's defaults,
// seed 1, without zero range and remount (kernel tmpfs has neither) and
// without the final remount, so that every target runs the same stream.
func fsxOptions(ops int64) fsx.Options {
	o := fsx.Defaults()
	o.Seed, o.Ops = 1, ops
	o.Disabled = o.Disabled.With(fsx.ZeroRange).With(fsx.Remount)
	o.RemountEvery = 0
	o.NoFinalRemount = true
	return o
}

// fsxModelMount mounts the XFS model on a fresh 16 MiB memory device.
func fsxModelMount(t *lab.Thread) (vfs.FS, error) {
	return xfs.Mount(t, blockdev.NewMemory(4096), xfs.Options{}), nil
}

// fsxRun runs fsx against mount and returns ops per second (only fsx.Run
// is timed).
func fsxRun(opt fsx.Options, mount func(t *lab.Thread) (vfs.FS, error)) (float64, error) {
	start := time.Now()
	res, err := fsx.Run(fsx.Config{Options: opt, Mount: mount})
	el := time.Since(start).Seconds()
	if err != nil {
		return 0, err
	}
	if res.Failure != nil {
		return 0, fmt.Errorf("fsx failed: %v", res.Failure)
	}
	return float64(res.Ops) / el, nil
}

// fsxKernel runs fsx on a fresh kernel filesystem of type fstype (a loop
// device image, or tmpfs); making and removing it is not timed.
func fsxKernel(opt fsx.Options, fstype string) (float64, error) {
	sup := kernel.NewSupervisor()
	defer sup.Cleanup()
	ws, err := kernel.NewWorkspace(sup)
	if err != nil {
		return 0, err
	}
	s, err := ws.NewScratch(fstype)
	if err != nil {
		return 0, err
	}
	fs := kernel.NewFS(sup, s)
	return fsxRun(opt, func(*lab.Thread) (vfs.FS, error) { return fs, nil })
}

// fsx measures fsx ops/s on the model against kernel xfs and tmpfs.
func (b *bench) fsx() error {
	opt := fsxOptions(b.cfg.FsxOps)
	model, err := repeat(b.cfg.Runs, 1, b.progress, "fsx model", func() ([]float64, error) {
		v, err := fsxRun(opt, fsxModelMount)
		return []float64{v}, err
	})
	if err != nil {
		return err
	}
	bars := []struct {
		label string
		s     *Stat
	}{bar("XFS model", &model[0])}
	note := fmt.Sprintf("%d ops, seed 1, fsx defaults without zero and remount", opt.Ops)
	for _, fstype := range []string{"xfs", "tmpfs"} {
		base := "kernel " + fstype
		if fstype == "xfs" {
			base += " on a loop device"
		}
		f := &Figure{Group: "fsx", Name: "fsx on the XFS model vs kernel " + fstype, Unit: "ops/s", Value: &model[0], Baseline: base, Note: note}
		switch {
		case b.cfg.ModelOnly:
			f.BaseMissing = "kernel target disabled (model only)"
		default:
			var types []string
			if fstype != "tmpfs" {
				types = []string{fstype}
			}
			if err := kernel.CheckEnv(types, false); err != nil {
				f.BaseMissing = err.Error()
				break
			}
			s, err := repeat(b.cfg.Runs, 1, b.progress, "fsx kernel "+fstype, func() ([]float64, error) {
				v, err := fsxKernel(opt, fstype)
				return []float64{v}, err
			})
			var env *kernel.EnvError
			switch {
			case errors.As(err, &env):
				f.BaseMissing = env.Reason
			case err != nil:
				return err
			default:
				f.Base = &s[0]
			}
		}
		b.add(f)
		bars = append(bars, bar("kernel "+fstype, f.Base))
	}
	b.chart("fsx", fmt.Sprintf("fsx: %d ops, seed 1", opt.Ops), "ops/s", bars...)
	return nil
}
