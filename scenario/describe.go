package scenario

import (
	"fmt"
	"strings"

	"iomaplab/vfs"
)

// Describe renders op as a scenario line would spell it, for drawings:
// "pwrite f 0 36865 fill=0x57 stall-at=4k". Parsing the result gives op
// back (TestDescribeRoundTrip).
func (op Op) Describe() string {
	info := opTable[op.Kind]
	parts := []string{info.name}
	switch info.args {
	case argsFile:
		parts = append(parts, op.File)
	case argsFileSize:
		parts = append(parts, op.File, FormatSize(op.Len))
	case argsRange:
		parts = append(parts, op.File, FormatSize(op.Off), FormatSize(op.Len))
	case argsTwoFiles:
		parts = append(parts, op.Src, op.File)
	case argsThread:
		if op.Kind == OpAwait && op.Done {
			parts = append(parts, op.Thread+".done")
		} else if op.Kind == OpAwait {
			parts = append(parts, op.Thread+".stalled")
		} else {
			parts = append(parts, op.Thread)
		}
	}
	switch op.Kind {
	case OpPwrite, OpMapStore:
		parts = append(parts, fmt.Sprintf("fill=0x%02x", op.Fill))
	case OpFallocate, OpZero:
		if op.Mode == vfs.FallocKeepSize || op.Mode == vfs.FallocZeroKeepSize {
			parts = append(parts, "keep-size")
		}
	}
	if op.StallAt >= 0 && op.Kind == OpPwrite {
		parts = append(parts, "stall-at="+FormatSize(op.StallAt))
	}
	if op.FaultAt >= 0 && op.Kind == OpPwrite {
		parts = append(parts, "fault-at="+FormatSize(op.FaultAt))
	}
	if op.MayFail {
		parts = append(parts, "may-fail")
	}
	return strings.Join(parts, " ")
}
