package pagecache

// blockBits is a per-block bitmap of one folio (at most 512 blocks: a 2 MiB
// folio of 4 KiB blocks), the uptodate and dirty halves of ifs->state.
type blockBits [MaxFolioSize / BlockSize / 64]uint64

func (b *blockBits) set(i int)       { b[i/64] |= 1 << (i % 64) }
func (b *blockBits) clear(i int)     { b[i/64] &^= 1 << (i % 64) }
func (b *blockBits) test(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// setRange sets blocks [first, last].
func (b *blockBits) setRange(first, last int) {
	for i := first; i <= last; i++ {
		b.set(i)
	}
}

func (b *blockBits) clearRange(first, last int) {
	for i := first; i <= last; i++ {
		b.clear(i)
	}
}

// all reports whether blocks [first, last] are all set.
func (b *blockBits) all(first, last int) bool {
	for i := first; i <= last; i++ {
		if !b.test(i) {
			return false
		}
	}
	return true
}

func (b *blockBits) any(first, last int) bool {
	for i := first; i <= last; i++ {
		if b.test(i) {
			return true
		}
	}
	return false
}
