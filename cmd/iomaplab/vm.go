package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"iomaplab/kernel"
	"iomaplab/scenario"
	"iomaplab/vm"
)

// vmFlags are the parsed command line of `iomaplab vm`.
type vmFlags struct {
	kernel, modules, out, fs, exec, append string
	runs, memory, cpus                     int
	timeout, watchdog                      time.Duration
}

func (a *app) vmCmd() *cobra.Command {
	var f vmFlags
	cmd := &cobra.Command{
		Use:   "vm --kernel IMAGE --out DIR [SCENARIO|FILE.scn ...] [flags]",
		Short: "boot a kernel image in qemu and run the kernel target (or a command) inside it (root)",
		Long: `Boot a kernel image in qemu (KVM if /dev/kvm exists, else TCG: slow) and run
the kernel target inside it: iomaplab kernel --fs FS --runs N --json with the
named scenarios, or with none the directed scenarios the filesystems run.
--exec runs any shell command instead (fstests, a reproducer, iomaplab fsx).

The guest's root is this host's root shared read-only over virtio-9p, so
the guest has the host's mkfs.xfs, shell and tools; /tmp is a scratch ext4
disk (a sparse 16 GiB image, virtio-blk), /run a tmpfs; --out is shared
writable at the same path ($IOMAPLAB_VM_OUT in the guest) and gets
console.log (the serial console), stdout, stderr, exit (the command's
status) and release (uname -r). This executable is on the guest's PATH as
iomaplab. The initramfs (static busybox from busybox-static, the modules,
this executable) and the scratch disk are made in a temp dir and removed
afterwards.

A distribution kernel builds virtio-pci, 9p, loop and the filesystems as
modules: give its lib/modules/RELEASE directory with --modules (e.g. from
dpkg-deb -x linux-image-...-unsigned_*.deb DIR); they are loaded with their
dependencies (read from each module's .modinfo). A kernel of your own needs
them built in (=y) or installed under --modules; and virtio-blk and ext4
for the scratch disk.

The table of the kernel target's JSON (OUT/stdout) is printed at the end.
qemu is killed at --timeout.`,
		Example: `  sudo iomaplab vm --kernel DIR/boot/vmlinuz-6.1.0-57-amd64 \
      --modules DIR/lib/modules/6.1.0-57-amd64 --out /var/tmp/vm-6.1 --runs 3
  sudo iomaplab vm --kernel bzImage --out out write-stale-unwritten --runs 5
  sudo iomaplab vm --kernel bzImage --out out --append init_on_alloc=0 \
      --exec 'iomaplab fsx --target kernel --fs xfs --short-every 16 > $IOMAPLAB_VM_OUT/fsx.txt'`,
		Annotations: map[string]string{"exit": `  0  the guest command exited 0 (the kernel target: every expectation held)
  1  the guest command exited 1 (the kernel target: a violation)
  2  bad usage or input (nothing booted), or the guest command exited 2
  3  no qemu-system-x86_64, no kernel image, no static busybox, a module
     missing, the guest did not start or finish (see OUT/console.log),
     the timeout, a signal, or the guest command exited 3 or more
`},
		ValidArgsFunction: scenarioNames,
		RunE:              func(_ *cobra.Command, args []string) error { return a.vm(f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kernel, "kernel", "", "kernel image `IMAGE` to boot (bzImage, vmlinuz); required")
	fl.StringVar(&f.modules, "modules", "", "the image's lib/modules/RELEASE `DIR`: load virtio-pci, 9p, loop and the --fs modules from it")
	fl.StringVar(&f.out, "out", "", "output `DIR` (made if missing): console.log, stdout, stderr, exit, release; required")
	fl.StringVar(&f.fs, "fs", "xfs", "comma-separated filesystems from xfs, ext4, btrfs: their modules are loaded, and the kernel target runs on them")
	cmd.RegisterFlagCompletionFunc("fs", cobra.FixedCompletions(kernelFS, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
	intFlag(cmd, &f.runs, "runs", "", 3, 1, kernel.MaxRuns, "the kernel target's runs per scenario and filesystem")
	durationFlag(cmd, &f.watchdog, "watchdog", 30*time.Second, time.Millisecond, kernel.MaxWatchdog, "the kernel target's --watchdog (longer than its default: TCG is slow)")
	fl.StringVar(&f.exec, "exec", "", "run shell `CMD` in the guest instead of the kernel target (no scenario arguments then)")
	fl.StringVar(&f.append, "append", "", "extra kernel command line, e.g. init_on_alloc=0")
	intFlag(cmd, &f.memory, "memory", "", 2048, vm.MinMemoryMiB, vm.MaxMemoryMiB, "guest memory in MiB")
	intFlag(cmd, &f.cpus, "cpus", "", 2, 1, vm.MaxCPUs, "guest CPUs")
	durationFlag(cmd, &f.timeout, "timeout", 30*time.Minute, time.Second, vm.MaxTimeout, "kill qemu if the guest has not powered off by then")
	return cmd
}

func (a *app) vm(f vmFlags, names []string) error {
	if f.kernel == "" || f.out == "" {
		return badInput("--kernel IMAGE and --out DIR are required (see iomaplab vm -h)")
	}
	var fstypes []string
	for _, t := range strings.Split(f.fs, ",") {
		t = strings.TrimSpace(t)
		if !slices.Contains(kernelFS, t) {
			return badInput("unknown filesystem %q in --fs (want a comma-separated list from %s)", t, strings.Join(kernelFS, ", "))
		}
		fstypes = append(fstypes, t)
	}
	command := f.exec
	if command != "" && len(names) > 0 {
		return badInput("--exec runs its own command: scenario arguments are for the kernel target")
	}
	if command == "" {
		var err error
		if names, err = vmScenarios(names, fstypes); err != nil {
			return err
		}
		argv := append([]string{"iomaplab", "kernel", "--fs", strings.Join(fstypes, ","), "--runs", strconv.Itoa(f.runs),
			"--watchdog", f.watchdog.String(), "--json"}, names...)
		command = vm.ShellCommand(argv)
	}
	wd, _ := os.Getwd()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(a.stderr, "iomaplab vm: booting %s; guest command: %s\n", f.kernel, command)
	res, err := vm.Run(ctx, vm.Options{Kernel: f.kernel, Modules: f.modules, Load: fstypes, Out: f.out, Command: command,
		Workdir: wd, Append: f.append, Memory: f.memory, CPUs: f.cpus, Timeout: f.timeout})
	if err != nil {
		return err
	}
	out, _ := filepath.Abs(f.out)
	fmt.Fprintf(a.stdout, "guest kernel %s, %.0f s from qemu's start to power-off, guest command exit %d\n", res.Release, res.Elapsed.Seconds(), res.Exit)
	fmt.Fprintf(a.stdout, "output: %s/{console.log,stdout,stderr}\n", out)
	if f.exec == "" {
		var rep kernel.Report
		if b, err := os.ReadFile(filepath.Join(out, "stdout")); err == nil && json.Unmarshal(b, &rep) == nil && len(rep.Cells) > 0 {
			fmt.Fprintln(a.stdout)
			rep.WriteTable(a.stdout)
		}
	}
	switch res.Exit {
	case 0:
		return nil
	case 1:
		return errViolation
	case 2:
		return badInput("the guest command rejected its input (exit 2): see %s/stderr", out)
	}
	return environmentError{fmt.Errorf("the guest command exited %d: see %s/stderr and console.log", res.Exit, out)}
}

// vmScenarios checks the named scenarios on the host before booting (bad
// input, exit 2); with none named it picks the directed scenarios that run
// on fstypes.
func vmScenarios(names, fstypes []string) ([]string, error) {
	var scs []*scenario.Scenario
	for _, n := range names {
		sc, err := kernel.LoadScenario(n)
		if err != nil {
			return nil, asBadInput(err)
		}
		scs = append(scs, sc)
	}
	if len(names) == 0 {
		all, err := kernel.DefaultScenarios()
		if err != nil {
			return nil, asBadInput(err)
		}
		for _, sc := range all {
			if sc.Directed && slices.ContainsFunc(kernel.KernelFS(sc), func(t string) bool { return slices.Contains(fstypes, t) }) {
				scs = append(scs, sc)
				names = append(names, sc.Name)
			}
		}
	}
	if _, err := kernel.PlanScenarios(scs, fstypes, false); err != nil {
		return nil, asBadInput(err)
	}
	return names, nil
}
