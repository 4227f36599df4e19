package xfs

import (
	"fmt"
	"testing"

	"iomaplab/lab"
	"iomaplab/vfs"
)

// TestDedupeRange: equal ranges come to share the source's blocks (dirty
// destination data is written back and compared first); differing ranges
// change nothing; a write to a deduped block copies on write; bad ranges
// are EINVAL.
func TestDedupeRange(t *testing.T) {
	reflinked(t, Options{}, func(lt *lab.Thread, fs *FS, f, g *Inode) {
		h := fs.OpenInode(lt, "h")
		data := cat(fill(0x41, 8<<10), fill(0x42, 8<<10))
		if _, err := h.Pwrite(lt, vfs.Plain(data), 0); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][3]int64{{1, 0, 4096}, {0, 0, 20 << 10}, {0, 12 << 10, 8 << 10}, {0, 0, 100}} {
			if _, err := h.DedupeRange(lt, f, c[0], c[1], c[2]); err == nil {
				t.Errorf("DedupeRange%v succeeded", c)
			}
		}
		if same, err := h.DedupeRange(lt, f, 8<<10, 8<<10, 8<<10); err != nil || same {
			t.Fatalf("dedupe of differing ranges: same %v, err %v", same, err)
		}
		if same, err := h.DedupeRange(lt, f, 0, 0, 8<<10); err != nil || !same {
			t.Fatalf("dedupe of equal ranges: same %v, err %v", same, err)
		}
		wantData(t, lt, h, data)
		mustCheck(t, lt, fs)
		p := f.Extents(lt)[0].PBlk
		if got := fmt.Sprint(fs.space.Refs(lt)); got != fmt.Sprintf("[[%d, %d) x3 [%d, %d) x2]", p, p+2, p+2, p+4) {
			t.Errorf("refcounts: %s", got)
		}
		if _, err := h.Pwrite(lt, vfs.Plain(fill(0x43, 100)), 4096); err != nil {
			t.Fatal(err)
		}
		if err := fs.Remount(lt); err != nil {
			t.Fatal(err)
		}
		wantData(t, lt, h, cat(fill(0x41, 4<<10), fill(0x43, 100), fill(0x41, 4<<10-100), fill(0x42, 8<<10)))
		wantData(t, lt, f, fill(0x41, 16<<10))
		mustCheck(t, lt, fs)
	})
}
