package bench

import (
	"errors"
	"fmt"
	"slices"
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

// fsx measures fsx ops/s on the model against kernel xfs and tmpfs; one
// run measures every target in turn.
func (b *bench) fsx() error {
	opt := fsxOptions(b.cfg.FsxOps)
	kernels := []string{"xfs", "tmpfs"}
	why := map[string]string{}
	var run []string
	for _, fstype := range kernels {
		var types []string
		if fstype != "tmpfs" {
			types = []string{fstype}
		}
		switch err := kernel.CheckEnv(types, false); {
		case b.cfg.ModelOnly:
			why[fstype] = "kernel target disabled (model only)"
		case err != nil:
			why[fstype] = err.Error()
		default:
			run = append(run, fstype)
		}
	}
	s, err := repeat(b.cfg.Runs, 1+len(run), b.progress, "fsx", func() ([]float64, error) {
		v, err := fsxRun(opt, fsxModelMount)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		out := []float64{v}
		for _, fstype := range run {
			v, err := fsxKernel(opt, fstype)
			if err != nil {
				return nil, fmt.Errorf("kernel %s: %w", fstype, err)
			}
			out = append(out, v)
		}
		return out, nil
	})
	var env *kernel.EnvError
	if errors.As(err, &env) {
		// The environment failed a kernel target mid-way: report the model
		// alone rather than nothing.
		for _, fstype := range run {
			why[fstype] = env.Reason
		}
		run = nil
		s, err = repeat(b.cfg.Runs, 1, b.progress, "fsx model", func() ([]float64, error) {
			v, err := fsxRun(opt, fsxModelMount)
			return []float64{v}, err
		})
	}
	if err != nil {
		return err
	}
	model := &s[0]
	bars := []struct {
		label string
		s     *Stat
	}{bar("XFS model", model)}
	note := fmt.Sprintf("%d ops, seed 1, fsx defaults without zero and remount", opt.Ops)
	for _, fstype := range kernels {
		base := "kernel " + fstype
		if fstype == "xfs" {
			base += " on a loop device"
		}
		f := &Figure{Group: "fsx", Name: "fsx on the XFS model vs kernel " + fstype, Unit: "ops/s", Value: model,
			Baseline: base, BaseMissing: why[fstype], Note: note}
		if i := slices.Index(run, fstype); i >= 0 {
			f.Base = &s[1+i]
		}
		b.add(f)
		bars = append(bars, bar("kernel "+fstype, f.Base))
	}
	b.chart("fsx", fmt.Sprintf("fsx: %d ops, seed 1", opt.Ops), "ops/s", bars...)
	return nil
}
