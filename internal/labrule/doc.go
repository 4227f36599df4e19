// Package labrule enforces the lab rule: engine packages (the page cache,
// iomap, extent maps, block devices, the filesystem models and vfs) never
// synchronise through sync.Mutex, sync.RWMutex, sync.Cond, channels, select
// or go statements. Everything a simulated kernel thread may block on must go
// through package lab, or a controlled schedule would contain a lock the
// scheduler cannot see (a hang, or a race the lab never explores).
//
// Analyzer is a golang.org/x/tools/go/analysis pass. It checks only packages
// whose import path matches its -engine list (default DefaultEngine); lab,
// check, kernel, cmd, fsx, scenario and every _test.go file are exempt.
// sync/atomic, sync.Once and sync.WaitGroup are allowed (atomics model
// READ_ONCE/WRITE_ONCE; the other two never guard state shared by threads).
//
// `go test ./internal/labrule` runs it over the real engine packages, so the
// ordinary `go test ./...` enforces the rule.
package labrule
