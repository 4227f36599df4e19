package scenario

import (
	"fmt"
	"strconv"
	"strings"
)

// maxOffset bounds offsets and sizes (1 TiB); what ops move is bounded by
// Limits.
const maxOffset = int64(1) << 40

// ParseSize reads a byte count: decimal or 0x hex, optionally followed by
// k, M or G (KiB, MiB, GiB; K and m are accepted too).
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	num := s
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, num = 1<<10, s[:n-1]
		case 'm', 'M':
			mult, num = 1<<20, s[:n-1]
		case 'g', 'G':
			mult, num = 1<<30, s[:n-1]
		}
	}
	if num == "" || num[0] == '+' || num[0] == '-' {
		return 0, fmt.Errorf("bad size %q (want a number of bytes, e.g. 4096, 4k, 2M, 0x1000)", s)
	}
	base := 10
	if strings.HasPrefix(num, "0x") || strings.HasPrefix(num, "0X") {
		base, num = 16, num[2:]
	}
	v, err := strconv.ParseUint(num, base, 63)
	if err != nil || strings.Contains(num, "_") {
		return 0, fmt.Errorf("bad size %q (want a number of bytes, e.g. 4096, 4k, 2M, 0x1000)", s)
	}
	if v > uint64(maxOffset/mult) {
		return 0, fmt.Errorf("size %s is too large (at most 1T)", s)
	}
	return int64(v) * mult, nil
}

// parseByte reads a fill byte: 0x58, 88, or a quoted character 'X'.
func parseByte(s string) (byte, error) {
	if len(s) == 3 && s[0] == '\'' && s[2] == '\'' {
		return s[1], nil
	}
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil || strings.Contains(s, "_") {
		return 0, fmt.Errorf("bad fill byte %q (want 0x00..0xff, 0..255 or 'c')", s)
	}
	return byte(v), nil
}

// FormatSize prints n the way scenarios write it (4k, 2M, 36865).
func FormatSize(n int64) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%dG", n>>30)
	case n != 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n != 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%dk", n>>10)
	}
	return strconv.FormatInt(n, 10)
}
