package vm

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpioEntry is one entry read back from a newc archive.
type cpioEntry struct {
	name string
	mode int
	data []byte
}

// readCpio parses a newc archive as the kernel does, checking the magic
// and the 4-byte alignment of every name and data field.
func readCpio(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	field := func(i int) int {
		v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
		if err != nil {
			t.Fatalf("offset %d field %d: %v", off, i, err)
		}
		return int(v)
	}
	for {
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("offset %d: magic %q", off, b[off:off+6])
		}
		mode, size, namesize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+namesize-1])
		if b[off+110+namesize-1] != 0 {
			t.Fatalf("%s: name not NUL-terminated", name)
		}
		dataOff := off + 110 + namesize
		dataOff += pad4(dataOff)
		if name == "TRAILER!!!" {
			if dataOff != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-dataOff)
			}
			return out
		}
		out = append(out, cpioEntry{name, mode, b[dataOff : dataOff+size]})
		off = dataOff + size
		off += pad4(off)
	}
}

func TestCpioNewcRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	c := &cpioWriter{w: &buf}
	c.Dir("bin")
	c.File("bin/x", 0o755, []byte("abcde"))
	c.Symlink("bin/sh", "busybox")
	c.File("empty", 0o644, nil)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := readCpio(t, buf.Bytes())
	want := []cpioEntry{{"bin", cpioDir | 0o755, nil}, {"bin/x", cpioFile | 0o755, []byte("abcde")},
		{"bin/sh", cpioSymlink | 0o777, []byte("busybox")}, {"empty", cpioFile | 0o644, nil}}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].name != want[i].name || got[i].mode != want[i].mode || !bytes.Equal(got[i].data, want[i].data) {
			t.Errorf("entry %d: got %q %o %q, want %q %o %q", i, got[i].name, got[i].mode, got[i].data, want[i].name, want[i].mode, want[i].data)
		}
	}
}

// fakeKO is a minimal ELF64 relocatable file whose .modinfo section holds
// info (NUL-separated key=value), as modpost writes it.
func fakeKO(info ...string) []byte {
	modinfo := []byte(strings.Join(info, "\x00") + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	le := binary.LittleEndian
	body := append(append([]byte{}, modinfo...), shstr...)
	shoff := 64 + len(body)
	shoff += (8 - shoff%8) % 8
	f := make([]byte, shoff+3*64)
	copy(f, "\x7fELF\x02\x01\x01")
	le.PutUint16(f[16:], 1)  // ET_REL
	le.PutUint16(f[18:], 62) // EM_X86_64
	le.PutUint32(f[20:], 1)
	le.PutUint64(f[40:], uint64(shoff))
	le.PutUint16(f[52:], 64)
	le.PutUint16(f[58:], 64)
	le.PutUint16(f[60:], 3)
	le.PutUint16(f[62:], 2)
	copy(f[64:], body)
	sh := func(i int, name, typ uint32, off, size int) {
		s := f[shoff+64*i:]
		le.PutUint32(s[0:], name)
		le.PutUint32(s[4:], typ)
		le.PutUint64(s[24:], uint64(off))
		le.PutUint64(s[32:], uint64(size))
		le.PutUint64(s[48:], 1)
	}
	sh(1, 1, 1, 64, len(modinfo))             // .modinfo, PROGBITS
	sh(2, 10, 3, 64+len(modinfo), len(shstr)) // .shstrtab, STRTAB
	return f
}

// moduleTree writes files (path -> content) under a temp dir.
func moduleTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func names(ms []Module) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// Dependencies come from .modinfo, before their users and once each;
// built-in modules and absent optional ones are skipped; a compressed
// module is loaded decompressed; dashes and underscores are one name.
func TestResolveModulesOrder(t *testing.T) {
	dir := moduleTree(t, map[string][]byte{
		"kernel/fs/xfs/xfs.ko":                 fakeKO("license=GPL", "depends=libcrc32c"),
		"kernel/lib/libcrc32c.ko":              fakeKO("softdep=pre: crc32c", "depends="),
		"kernel/crypto/crc32c_generic.ko.gz":   gzipped(fakeKO("alias=crc32c", "depends=")),
		"kernel/net/9p/9pnet_virtio.ko":        fakeKO("depends=virtio_ring,9pnet"),
		"kernel/net/9p/9pnet.ko":               fakeKO("depends="),
		"kernel/drivers/virtio/virtio_ring.ko": fakeKO("depends="),
		"kernel/drivers/virtio/virtio-pci.ko":  fakeKO("depends=virtio_ring"),
		"kernel/fs/9p/9p.ko":                   fakeKO("depends=9pnet"),
		"kernel/drivers/block/virtio_blk.ko":   fakeKO("depends=virtio_ring"),
		"modules.builtin":                      []byte("kernel/drivers/block/loop.ko\nkernel/fs/ext4/ext4.ko\n"),
	})
	md, err := OpenModuleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := md.Resolve(append(slices.Clone(BaseModules), "xfs"), OptionalModules)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"crc32c_generic", "virtio_ring", "virtio_pci", "9pnet", "9pnet_virtio", "9p", "virtio_blk", "libcrc32c", "xfs"}
	if !slices.Equal(names(got), want) {
		t.Fatalf("order %v, want %v", names(got), want)
	}
	if !bytes.HasPrefix(got[0].Data, []byte("\x7fELF")) {
		t.Errorf("crc32c_generic.ko.gz was not decompressed")
	}
}

func TestResolveModulesErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"missing", map[string][]byte{"a.ko": fakeKO("depends=b")}, "module b (needed by a <- the guest)"},
		{"cycle", map[string][]byte{"a.ko": fakeKO("depends=b"), "b.ko": fakeKO("depends=a")}, "dependency cycle a -> b -> a"},
		{"not ELF", map[string][]byte{"a.ko": []byte("not a module")}, "not a kernel module"},
		{"no modinfo", map[string][]byte{"a.ko": fakeKO()[:64]}, "not a kernel module"},
	} {
		md, err := OpenModuleDir(moduleTree(t, tc.files))
		if err != nil {
			t.Fatal(err)
		}
		_, err = md.Resolve([]string{"a"}, nil)
		var env *EnvError
		if !errors.As(err, &env) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an EnvError containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := OpenModuleDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no kernel modules") {
		t.Errorf("an empty modules dir: got %v", err)
	}
}

// The initramfs holds init, busybox, the guest script, this program and
// the modules in load order; init loads them in that order, mounts the
// shares and records the status; quoting survives awkward paths.
func TestInitramfsContents(t *testing.T) {
	g := &Guest{
		Modules: []Module{{Name: "virtio_ring", Data: []byte("A")}, {Name: "xfs", Data: []byte("B")}},
		Busybox: []byte("BB"), Binary: []byte("IOMAPLAB"),
		Command: `iomaplab kernel --json 'write-stale-unwritten'`,
		Workdir: "/home/it's", Out: "/var/tmp/out dir",
	}
	var buf bytes.Buffer
	if err := g.WriteInitramfs(&buf); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range readCpio(t, buf.Bytes()) {
		files[e.name] = e.data
	}
	for name, want := range map[string]string{"bin/busybox": "BB", "iomaplab": "IOMAPLAB", "modules/00-virtio_ring.ko": "A", "modules/01-xfs.ko": "B", "bin/sh": "busybox"} {
		if string(files[name]) != want {
			t.Errorf("%s: %q, want %q", name, files[name], want)
		}
	}
	init := string(files["init"])
	for _, want := range []string{
		"#!/bin/busybox sh\n",
		"die() { echo \"iomaplab-vm: $*\"; reboot -f; exit 1; }",
		"insmod /modules/00-virtio_ring.ko || die",
		"mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /root",
		"mount -t ext4 /dev/vda /root/tmp && chmod 1777 /root/tmp || die",
		"mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 iomaplab-out '/root/var/tmp/out dir'",
		"chroot /root /bin/sh /run/iomaplab-vm/guest.sh > '/root/var/tmp/out dir/stdout' 2> '/root/var/tmp/out dir/stderr'",
		"echo $status > '/root/var/tmp/out dir/exit'",
		"reboot -f\n",
	} {
		if !strings.Contains(init, want) {
			t.Errorf("init lacks %q:\n%s", want, init)
		}
	}
	if strings.Index(init, "00-virtio_ring") > strings.Index(init, "01-xfs") {
		t.Errorf("init loads xfs before its dependency")
	}
	guest := string(files["guest.sh"])
	for _, want := range []string{"export PATH=/run/iomaplab-vm:", "IOMAPLAB_VM_OUT='/var/tmp/out dir'", `cd '/home/it'\''s' 2>/dev/null || cd /`, g.Command + "\n"} {
		if !strings.Contains(guest, want) {
			t.Errorf("guest.sh lacks %q:\n%s", want, guest)
		}
	}
}

func TestShellCommandQuotes(t *testing.T) {
	if got, want := ShellCommand([]string{"iomaplab", "kernel", "a b", "it's", "$HOME"}), `'iomaplab' 'kernel' 'a b' 'it'\''s' '$HOME'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestQemuArgs(t *testing.T) {
	c := &Config{Qemu: "q", Kernel: "/k/bzImage", Initrd: "/t/initramfs.cpio", Scratch: "/t/scratch.img", Out: "/o,ut", Memory: 2048, CPUs: 2, Append: "init_on_alloc=0"}
	args := strings.Join(c.QemuArgs(), " ")
	for _, want := range []string{
		"-machine pc,accel=tcg -cpu max", "-smp 2 -m 2048", "-no-reboot", "-serial file:/o,ut/console.log",
		"-kernel /k/bzImage -initrd /t/initramfs.cpio", "-drive file=/t/scratch.img,if=virtio,format=raw,cache=unsafe",
		"-append console=ttyS0 panic=-1 rdinit=/init init_on_alloc=0",
		"local,path=/,mount_tag=hostroot,security_model=none,readonly=on", "local,path=/o,,ut,mount_tag=iomaplab-out,security_model=none",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %q: %s", want, args)
		}
	}
	c.KVM = true
	if args := strings.Join(c.QemuArgs(), " "); !strings.Contains(args, "-machine pc,accel=kvm -cpu host") {
		t.Errorf("with KVM: %s", args)
	}
}

// Run refuses, before booting, a host without qemu and a missing image:
// environment errors (exit 3).
func TestRunEnvironmentErrors(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Run(t.Context(), Options{Kernel: "/nonexistent", Out: t.TempDir()})
	var env *EnvError
	if !errors.As(err, &env) || !strings.Contains(err.Error(), "qemu-system-x86_64 not found") {
		t.Errorf("no qemu: got %v", err)
	}
	qemu := filepath.Join(os.Getenv("PATH"), "qemu-system-x86_64")
	if err := os.WriteFile(qemu, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Run(t.Context(), Options{Kernel: "/nonexistent", Out: t.TempDir()})
	if !errors.As(err, &env) || !strings.Contains(err.Error(), "kernel image /nonexistent") {
		t.Errorf("no image: got %v", err)
	}
	_, err = Run(t.Context(), Options{Kernel: qemu, Out: t.TempDir(), Busybox: qemu})
	if !errors.As(err, &env) || !strings.Contains(err.Error(), "install busybox-static") {
		t.Errorf("busybox not an ELF: got %v", err)
	}
}

// fakeQemu writes an executable shell script standing in for qemu.
func fakeQemu(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qemu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Boot reads the guest's status and release from the output directory,
// removes a previous run's files first, reports a guest that powered off
// without a status with the console's tail, and kills qemu at the timeout.
func TestBootOutcomes(t *testing.T) {
	out := t.TempDir()
	c := &Config{Out: out, Timeout: time.Minute, Memory: 256, CPUs: 1}
	os.WriteFile(filepath.Join(out, exitFile), []byte("0\n"), 0o644) // a previous run's
	c.Qemu = fakeQemu(t, fmt.Sprintf("echo 6.1.0-test > %s/release; echo 1 > %s/exit", out, out))
	res, err := Boot(t.Context(), c)
	if err != nil || res.Exit != 1 || res.Release != "6.1.0-test" {
		t.Errorf("status 1: got %+v, %v", res, err)
	}

	c.Qemu = fakeQemu(t, fmt.Sprintf("echo 'Kernel panic - not syncing: VFS' > %s/console.log", out))
	_, err = Boot(t.Context(), c)
	var env *EnvError
	if !errors.As(err, &env) || !strings.Contains(err.Error(), "without running the command") || !strings.Contains(err.Error(), "Kernel panic") {
		t.Errorf("no status: got %v", err)
	}

	c.Qemu = fakeQemu(t, "echo 'qemu: could not load kernel' >&2; exit 1")
	if _, err = Boot(t.Context(), c); !errors.As(err, &env) || !strings.Contains(err.Error(), "could not load kernel") {
		t.Errorf("qemu failing: got %v", err)
	}

	c.Qemu = fakeQemu(t, fmt.Sprintf("echo $$ > %s/pid; exec sleep 600", out))
	c.Timeout = 300 * time.Millisecond
	_, err = Boot(t.Context(), c)
	if !errors.As(err, &env) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("timeout: got %v", err)
	}
	pid, _ := os.ReadFile(filepath.Join(out, "pid"))
	if _, err := os.Stat("/proc/" + strings.TrimSpace(string(pid))); err == nil {
		t.Errorf("qemu (pid %s) still runs after the timeout", strings.TrimSpace(string(pid)))
	}
}
