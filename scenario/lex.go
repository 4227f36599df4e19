package scenario

import "strings"

// token is one word of a line. Words are separated by blanks; ';' and ':'
// are tokens of their own, as are the comparisons <, <=, >, >=, ==, !=. A '#'
// at the start of a word starts a comment that runs to the end of the line.
type token struct {
	text string
	pos  Pos
}

// line is the tokens of one source line, with the raw text after the first
// token kept for free-text directives (source, kernel note).
type line struct {
	num  int
	toks []token
	raw  string // the line with its comment removed
}

// rest returns the raw text after token i (trimmed), for free-text directives.
func (l *line) rest(i int) string {
	if i+1 >= len(l.toks) {
		return ""
	}
	return strings.TrimSpace(l.raw[l.toks[i+1].pos.Col-1:])
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

func isCmpChar(c byte) bool { return c == '<' || c == '>' || c == '!' }

// lex splits src into lines of tokens. It never fails: what a token means is
// the parser's business.
func lex(src string) []line {
	var lines []line
	for n, text := range strings.Split(src, "\n") {
		l := line{num: n + 1}
		i := 0
		end := len(text)
		for i < len(text) {
			c := text[i]
			switch {
			case isBlank(c):
				i++
				continue
			case c == '#':
				end = i
				i = len(text)
				continue
			}
			start := i
			switch {
			case c == ';' || c == ':':
				i++
			case isCmpChar(c) || (c == '=' && i+1 < len(text) && text[i+1] == '='):
				i++
				if i < len(text) && text[i] == '=' {
					i++
				}
			default:
				for i < len(text) {
					c := text[i]
					if isBlank(c) || c == ';' || c == ':' || isCmpChar(c) || (c == '=' && i+1 < len(text) && text[i+1] == '=') {
						break
					}
					i++
				}
			}
			l.toks = append(l.toks, token{text: text[start:i], pos: Pos{n + 1, start + 1}})
		}
		l.raw = text[:end]
		lines = append(lines, l)
	}
	return lines
}
