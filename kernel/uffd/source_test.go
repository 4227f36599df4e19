package uffd

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func needUffd(t *testing.T) {
	t.Helper()
	fd, err := Open()
	if err != nil && os.Getenv("IOMAPLAB_KERNEL_REQUIRED") == "1" {
		t.Fatalf("userfaultfd required (IOMAPLAB_KERNEL_REQUIRED=1): %v", err)
	}
	if err != nil {
		t.Skipf("userfaultfd unavailable (needs root or CAP_SYS_PTRACE): %v", err)
	}
	fd.Close()
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>12)
	}
	return b
}

type wresult struct {
	n   int
	err error
	tid int
}

// startWrite pwrites src at 0 of a new file on its own locked thread.
func startWrite(t *testing.T, src *Source) (int, chan wresult) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	done := make(chan wresult, 1)
	tidc := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tid := unix.Gettid()
		tidc <- tid
		n, err := unix.Pwrite(int(f.Fd()), src.Bytes(), 0)
		done <- wresult{n, err, tid}
	}()
	return int(f.Fd()), done
}

func readBack(t *testing.T, fd, n int) []byte {
	t.Helper()
	got := make([]byte, n)
	if _, err := unix.Pread(fd, got, 0); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStallParksUntilRelease(t *testing.T) {
	needUffd(t)
	data := pattern(5*4096 + 100)
	src, err := NewSource(data, 2*4096+17, NoOffset, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fd, done := startWrite(t, src)
	f := <-src.Parked()
	if f.Offset != 2*4096 {
		t.Fatalf("parked at buffer offset %d, want %d", f.Offset, 2*4096)
	}
	select {
	case r := <-done:
		t.Fatalf("write returned (%d, %v) while its source page was missing", r.n, r.err)
	default:
	}
	runtime.GC() // a stop-the-world while a thread sits in the fault
	src.Release()
	r := <-done
	if r.n != len(data) || r.err != nil {
		t.Fatalf("pwrite = %d, %v", r.n, r.err)
	}
	if f.TID != r.tid {
		t.Errorf("fault reported thread %d, writer was %d", f.TID, r.tid)
	}
	if src.WatchdogFired() || src.Err() != nil {
		t.Errorf("watchdog=%v err=%v", src.WatchdogFired(), src.Err())
	}
	if got := readBack(t, fd, len(data)); !bytes.Equal(got, data) {
		t.Fatal("file content differs from the source data")
	}
}

func TestWatchdogResolvesUnreleasedFault(t *testing.T) {
	needUffd(t)
	data := pattern(3 * 4096)
	src, err := NewSource(data, 4096, NoOffset, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fd, done := startWrite(t, src)
	<-src.Parked()
	r := <-done // nobody releases: the watchdog must
	if r.n != len(data) || r.err != nil {
		t.Fatalf("pwrite = %d, %v", r.n, r.err)
	}
	if !src.WatchdogFired() {
		t.Fatal("write completed but the watchdog did not report firing")
	}
	if got := readBack(t, fd, len(data)); !bytes.Equal(got, data) {
		t.Fatal("watchdog filled the page with the wrong bytes")
	}
}

func TestReleaseBeforeFault(t *testing.T) {
	needUffd(t)
	data := pattern(2 * 4096)
	src, err := NewSource(data, 4096, NoOffset, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.Release()
	fd, done := startWrite(t, src)
	if r := <-done; r.n != len(data) || r.err != nil {
		t.Fatalf("pwrite after an early Release = %d, %v", r.n, r.err)
	}
	if got := readBack(t, fd, len(data)); !bytes.Equal(got, data) {
		t.Fatal("file content differs from the source data")
	}
}

func TestFaultPageShortensWrite(t *testing.T) {
	needUffd(t)
	data := pattern(4 * 4096)
	src, err := NewSource(data, NoOffset, 2*4096+5, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, done := startWrite(t, src)
	r := <-done
	if r.n != 2*4096+5 {
		t.Fatalf("pwrite = %d, %v; want a short write of %d (it ends at the fault's byte)", r.n, r.err, 2*4096+5)
	}
}

// TestStallThenUnalignedFault: with the fault page placed so the copy stops
// at byte 3*4096+100, the stall page is the one holding its byte; the
// write parks there, then ends exactly at the fault with the data intact.
func TestStallThenUnalignedFault(t *testing.T) {
	needUffd(t)
	data := pattern(5 * 4096)
	const faultAt = 3*4096 + 100
	src, err := NewSource(data, 4096, faultAt, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fd, done := startWrite(t, src)
	f := <-src.Parked()
	if f.Offset > 4096 || f.Offset+4096 <= 4096 {
		t.Fatalf("parked at the page starting %d, want the page holding byte 4096", f.Offset)
	}
	src.Release()
	r := <-done
	if r.n != faultAt {
		t.Fatalf("pwrite = %d, %v; want %d", r.n, r.err, faultAt)
	}
	if got := readBack(t, fd, faultAt); !bytes.Equal(got, data[:faultAt]) {
		t.Fatal("file content differs from the source data")
	}
}

func TestBadOffsets(t *testing.T) {
	if _, err := NewSource(make([]byte, 10), 10, NoOffset, time.Second); err == nil {
		t.Fatal("stall offset past the buffer accepted")
	}
	if _, err := NewSource(nil, NoOffset, NoOffset, time.Second); err == nil {
		t.Fatal("empty buffer accepted")
	}
}
