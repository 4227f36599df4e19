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
		parts = append(parts, awaitTarget(&op))
	case argsExpect:
		parts = append(parts, opTable[op.Sub].name, op.File, FormatSize(op.Off), FormatSize(op.Len))
		if op.Sub == OpPread {
			parts[1] = "read"
		}
		if len(op.Patterns) == 1 {
			parts = append(parts, "==", fmt.Sprintf("0x%02x", op.Patterns[0]))
		} else {
			var set []string
			for _, b := range op.Patterns {
				set = append(set, fmt.Sprintf("0x%02x", b))
			}
			parts = append(parts, "in", "{"+strings.Join(set, ",")+"}")
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
	for _, pk := range op.Parks {
		parts = append(parts, "park-at="+pk.Point)
		if pk.Name != pk.Point {
			parts = append(parts, "as", pk.Name)
		}
	}
	if op.MayFail {
		parts = append(parts, "may-fail")
	}
	return strings.Join(parts, " ")
}
