package kernel

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSupervisorOrderAndRelease(t *testing.T) {
	sup := NewSupervisor()
	sup.Log = t.Logf
	var order []string
	sup.Defer("a", func() error { order = append(order, "a"); return nil })
	b := sup.Defer("b", func() error { order = append(order, "b"); return nil })
	sup.Defer("c", func() error { order = append(order, "c"); return errors.New("c failed") })
	if err := sup.Release(b); err != nil {
		t.Fatal(err)
	}
	err := sup.Cleanup()
	if got := strings.Join(order, ""); got != "bca" {
		t.Fatalf("cleanup order %q, want bca (released first, then newest first)", got)
	}
	if err == nil || !strings.Contains(err.Error(), "c failed") {
		t.Fatalf("cleanup error %v", err)
	}
	if sup.Cleanup() != nil || len(order) != 3 {
		t.Fatal("second Cleanup ran something")
	}
	sup.Defer("late", func() error { order = append(order, "late"); return nil })
	if order[len(order)-1] != "late" {
		t.Fatal("a Defer after Cleanup did not run at once")
	}
}

// endingSupervisor has one resource; its Fatal sends the reason it was
// given, prefixed with what went wrong if the resource was not cleaned up
// first or the exit code is not 3.
func endingSupervisor(t *testing.T) (*Supervisor, <-chan string) {
	sup := NewSupervisor()
	sup.Log = t.Logf
	cleaned := false
	sup.Defer("resource", func() error { cleaned = true; return nil })
	fatal := make(chan string, 1)
	sup.Fatal = func(reason string, code int) {
		if !cleaned || code != 3 {
			reason = fmt.Sprintf("cleaned %v, code %d: %s", cleaned, code, reason)
		}
		fatal <- reason
	}
	return sup, fatal
}

// A panic (iomaplab's own bug) ends the run after cleanup with exit 3.
func TestSupervisorPanicCleansUpFirst(t *testing.T) {
	sup, fatal := endingSupervisor(t)
	sup.Go("worker", func() { panic("boom") })
	if reason := <-fatal; !strings.HasPrefix(reason, "panic in worker: boom") {
		t.Fatalf("Fatal reason %q", reason)
	}
}

// A deadline ends the run like a signal: cleanup first, then Fatal with 3.
func TestSupervisorEndAtCleansUpFirst(t *testing.T) {
	sup, fatal := endingSupervisor(t)
	sup.EndAt(time.Now())
	if reason := <-fatal; !strings.HasPrefix(reason, "deadline") {
		t.Fatalf("Fatal reason %q", reason)
	}
	if !errors.Is(sup.Cleanup(), ErrEnded) {
		t.Error("Cleanup after the deadline did not report the end")
	}

}
