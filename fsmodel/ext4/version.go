package ext4

import "iomaplab/fsmodel/variant"

// linux68 reports whether the legacy paths follow Linux 6.8 instead of the
// default, Linux 6.18 (variant.Ext4Linux68; docs/design.md "Fidelity").
func (in *inode) linux68() bool { return in.fs.opts.Variant.Has(variant.Ext4Linux68) }
