// Package explore is the race lab's driver: it runs a scenario under a
// scheduling strategy for a budget of schedules, stops at the first safety
// violation, shrinks the failing schedule, checks that it replays
// identically (the nondeterminism detector), and hands back a replay token
// and a two-column drawing. Matrix runs every (scenario, variant) cell the
// catalogue's `catches` lines define and compares each verdict with the
// expected one.
//
// Evidence and reachability are reported beside the verdict, never as a
// catch: a cell counts the schedules that reached a stale window, whatever
// the variant: a folio locked while its cached mapping's cookie no longer
// matched (iomap_invalid and wb_iomap_invalid when the check caught it,
// *_stale_reached when a mutant let it through), or any other "*_reached"
// tracepoint (the ext4 lookup-to-insert window crossed by fallocate).
package explore
