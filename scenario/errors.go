package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a scenario file: 1-based line and column (bytes).
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Error is one problem in a scenario file, printed as file:line:col: message.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// BadInput marks a parse error as bad input (the CLI exits 2).
func (e *Error) BadInput() bool { return true }

// BadInput marks a parse error as bad input (the CLI exits 2).
func (l ErrorList) BadInput() bool { return true }

// ErrorList is every problem found in one file, in file order. Parse returns
// at most maxErrors of them.
type ErrorList []*Error

const maxErrors = 10

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (l ErrorList) sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Pos.Line != l[j].Pos.Line {
			return l[i].Pos.Line < l[j].Pos.Line
		}
		return l[i].Pos.Col < l[j].Pos.Col
	})
	if len(l) > maxErrors {
		l = l[:maxErrors]
	}
	return l
}
