package uffd

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// WAKE without filling makes the writer fault again (a second message);
// ZEROPAGE then resolves it with zeroes.
func TestWakeRefaultsThenZeroPage(t *testing.T) {
	needUffd(t)
	pg := os.Getpagesize()
	buf, err := unix.Mmap(-1, 0, 2*pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(buf)
	for i := 0; i < pg; i++ {
		buf[i] = 0xaa
	}
	fd, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	page := uintptr(unsafe.Pointer(&buf[pg]))
	if err := fd.RegisterMissing(page, uintptr(pg)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		n, _ := unix.Pwrite(int(f.Fd()), buf, 0)
		done <- n
	}()
	for i := 0; i < 2; i++ {
		m, err := fd.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if m.Event != EventPagefault || uintptr(m.Addr)&^uintptr(pg-1) != page {
			t.Fatalf("message %d: %+v", i, m)
		}
		if i == 0 {
			if err := fd.Wake(page, uintptr(pg)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := fd.ZeroPage(page, uintptr(pg)); err != nil {
		t.Fatal(err)
	}
	if n := <-done; n != 2*pg {
		t.Fatalf("pwrite = %d", n)
	}
	got := make([]byte, 2*pg)
	unix.Pread(int(f.Fd()), got, 0)
	if got[0] != 0xaa || got[pg] != 0 || got[2*pg-1] != 0 {
		t.Fatal("ZEROPAGE did not fill the page with zeroes")
	}
}
