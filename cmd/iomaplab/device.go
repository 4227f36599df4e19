package main

import (
	"flag"
	"fmt"
	"os"

	"iomaplab/explore"
	"iomaplab/scenario/model"
)

// deviceFlag adds --device: what backs the model's block device.
func deviceFlag(fs *flag.FlagSet) *string {
	return fs.String("device", "file", "model block device: file (a sparse file per run in $TMPDIR, unlinked at once) or memory")
}

// modelTargets is the model target factory for a --device value.
func modelTargets(device string) (explore.TargetFactory, error) {
	switch device {
	case "file":
		return model.FileBacked(os.TempDir()), nil
	case "memory":
		return model.ForVariant, nil
	}
	return nil, fmt.Errorf("unknown --device %q (file, memory)", device)
}
