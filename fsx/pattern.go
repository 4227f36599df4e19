package fsx

// Pattern fills p with the bytes operation id stores at file offset off.
// Like fsx's testcalls%256, the byte at an even offset is the low byte of the
// op ID, so a bad byte in a dump names the op that wrote it (mod 256). The
// byte at an odd offset mixes the next byte of the ID with the offset and is
// never zero, so written data never looks like a hole and data written at
// the wrong offset looks wrong.
func Pattern(p []byte, id, off int64) {
	lo, hi := byte(id), byte(id>>8)
	for i := range p {
		o := off + int64(i)
		if o&1 == 0 {
			p[i] = lo
		} else {
			p[i] = (hi ^ byte(o>>1)) | 1
		}
	}
}
