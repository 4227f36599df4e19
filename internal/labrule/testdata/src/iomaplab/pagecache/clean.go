// Package pagecache is a fixture: an engine package that follows the rule.
package pagecache

import "sync/atomic"

type folio struct {
	flags atomic.Uint64
}

func (f *folio) dirty() bool { return f.flags.Load()&1 != 0 }
