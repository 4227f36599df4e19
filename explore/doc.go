// Package explore is the race lab's driver: it runs a scenario under a
// scheduling strategy for a budget of schedules, stops at the first safety
// violation, shrinks the failing schedule, checks that it replays
// identically (the nondeterminism detector), and hands back a replay token
// and a two-column drawing. A token carries its scenario (a catalogue
// name with a digest of its text, or a scenario file's whole text), so
// replaying opens no host path and a changed catalogue scenario is
// reported; a token that does not replay (a decision that names a thread
// that cannot run) is a lab.TokenError, bad input. A host fault under a
// file-backed device (ENOSPC, EIO, a short transfer on the backing file)
// ends a cell as an environment error (Cell.Err), never as a violation.
//
// Matrix runs every (scenario, variant) cell the catalogue's `catches`
// lines define and compares each verdict with the expected one.
//
// Evidence and reachability are reported beside the verdict, never as a
// catch: a cell counts the schedules that reached a stale window, whatever
// the variant: a folio locked while its cached mapping's cookie no longer
// matched (iomap_invalid and wb_iomap_invalid when the check caught it,
// *_stale_reached when a mutant let it through), or any other "*_reached"
// tracepoint (the ext4 lookup-to-insert window crossed by fallocate).
package explore
