package main

import (
	"os"

	"github.com/spf13/cobra"

	"iomaplab/explore"
	"iomaplab/scenario/model"
)

// deviceFlag adds --device: what backs the model's block device.
func deviceFlag(cmd *cobra.Command, p *string) {
	enumFlag(cmd, p, "device", "file", []string{"file", "memory"},
		"model block device (file: a sparse file per run in $TMPDIR, unlinked at once)")
}

// modelTargets is the model target factory for a --device value.
func modelTargets(device string) (explore.TargetFactory, error) {
	switch device {
	case "file":
		return model.FileBacked(os.TempDir()), nil
	case "memory":
		return model.ForVariant, nil
	}
	return nil, badInput("unknown --device %q (file, memory)", device)
}
