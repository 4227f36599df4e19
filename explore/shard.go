package explore

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// MaxShards bounds N in --shard I/N.
const MaxShards = 10000

// Shard names one of Count parts of every cell's schedules (0 <= Index <
// Count). The zero Shard is no shard: the whole run, its cells without
// Parts; Shard{0, 1} is the whole run as one shard, for Merge.
type Shard struct{ Index, Count int }

// ParseShard parses "I/N" (0 <= I < N <= MaxShards). Errors are bad input.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, &inputError{fmt.Sprintf("--shard %q: want I/N, two integers, 0 <= I < N", s)}
	}
	if cnt < 1 || cnt > MaxShards || idx < 0 || idx >= cnt {
		return Shard{}, &inputError{fmt.Sprintf("--shard %q: want 0 <= I < N <= %d", s, MaxShards)}
	}
	return Shard{Index: idx, Count: cnt}, nil
}

// Sharded reports whether s is a shard (its cells carry Parts).
func (s Shard) Sharded() bool { return s.Count > 0 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// owns reports whether s runs unit u of the cell (sc, variant) under
// strategy. Units go round-robin; delay has one unit per cell, placed by a
// hash of the cell so a matrix's delay cells spread over the shards.
func (s Shard) owns(strategy, scenarioName, variant string, u int) bool {
	if s.Count <= 1 {
		return true
	}
	if strategy == "delay" {
		h := fnv.New64a()
		h.Write([]byte(scenarioName + "\x00" + variant))
		return int(h.Sum64()%uint64(s.Count)) == s.Index
	}
	return u%s.Count == s.Index
}

// inputError is bad input (exit 2).
type inputError struct{ msg string }

func (e *inputError) Error() string     { return e.msg }
func (e *inputError) BadInput() bool    { return true }
func (e *inputError) Environment() bool { return false }

// partError is an error a shard recorded in its JSON: the environment's
// (exit 3) or the scenario's (bad input, exit 2).
type partError struct {
	Msg string
	Env bool
}

func (e *partError) Error() string     { return e.Msg }
func (e *partError) Environment() bool { return e.Env }
func (e *partError) BadInput() bool    { return !e.Env }
