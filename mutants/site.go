package mutants

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Kind is what a mutant does to its marked statement.
type Kind string

// The mutation kinds of a marker.
const (
	Delete Kind = "delete"
	True   Kind = "true"
	False  Kind = "false"
	NoSeq  Kind = "noseq"
)

// Edit is one marked statement of a site.
type Edit struct {
	File string // path relative to the module root, '/'-separated
	Line int    // the marked statement's first line
	Kind Kind
	// start and end are the byte offsets of what the edit replaces (the
	// statement, or its condition), text the replacement.
	start, end int
	text       string
}

// Site is one protection site: every edit marked with its name.
type Site struct {
	Name  string
	Edits []Edit
}

// Where returns "file:line" of the site's first edit.
func (s Site) Where() string { return fmt.Sprintf("%s:%d", s.Edits[0].File, s.Edits[0].Line) }

// EngineDirs are the directories whose Go files may carry markers.
var EngineDirs = []string{"iomap", "pagecache", "extent", "fsmodel", "blockdev"}

var markerRE = regexp.MustCompile(`^//mutant:([a-z0-9]+(?:-[a-z0-9]+)*) (delete|true|false|noseq)$`)

// MarkerError is a malformed or misplaced marker: bad input, exit 2.
type MarkerError struct{ Pos, Msg string }

func (e *MarkerError) Error() string { return e.Pos + ": " + e.Msg }

// BadInput reports that a marker, not the environment, is wrong.
func (e *MarkerError) BadInput() bool { return true }

// Scan finds every site marked in the non-test Go files under the module
// root's EngineDirs, sorted by name.
func Scan(root string) ([]Site, error) {
	byName := map[string]*Site{}
	for _, dir := range EngineDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			edits, names, err := scanFile(filepath.ToSlash(rel), src)
			if err != nil {
				return err
			}
			for i, e := range edits {
				s := byName[names[i]]
				if s == nil {
					s = &Site{Name: names[i]}
					byName[names[i]] = s
				}
				s.Edits = append(s.Edits, e)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var sites []Site
	for _, s := range byName {
		sites = append(sites, *s)
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].Name < sites[j].Name })
	return sites, nil
}

// scanFile returns the edits marked in one file and their site names.
func scanFile(rel string, src []byte) ([]Edit, []string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	// The outermost statement starting on each line.
	stmts := map[int]ast.Stmt{}
	ast.Inspect(f, func(n ast.Node) bool {
		s, ok := n.(ast.Stmt)
		if !ok || s == nil {
			return true
		}
		if _, block := s.(*ast.BlockStmt); block {
			return true
		}
		line := fset.Position(s.Pos()).Line
		if old, ok := stmts[line]; !ok || s.Pos() < old.Pos() || (s.Pos() == old.Pos() && s.End() > old.End()) {
			stmts[line] = s
		}
		return true
	})
	var edits []Edit
	var names []string
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if !strings.HasPrefix(c.Text, "//mutant:") {
				continue
			}
			pos := fset.Position(c.Pos())
			where := fmt.Sprintf("%s:%d:%d", rel, pos.Line, pos.Column)
			m := markerRE.FindStringSubmatch(c.Text)
			if m == nil {
				return nil, nil, &MarkerError{where, "malformed marker " + c.Text + " (want //mutant:NAME delete|true|false|noseq)"}
			}
			s, ok := stmts[pos.Line]
			if !ok || fset.Position(s.Pos()).Offset > pos.Offset {
				s, ok = stmts[pos.Line+1] // the marker on its own line above
			}
			if !ok {
				return nil, nil, &MarkerError{where, "marker " + m[1] + " is not on or above a statement"}
			}
			e, err := edit(fset, src, s, Kind(m[2]))
			if err != nil {
				return nil, nil, &MarkerError{where, err.Error()}
			}
			e.File = rel
			edits = append(edits, e)
			names = append(names, m[1])
		}
	}
	return edits, names, nil
}

// edit builds the replacement of kind k for statement s.
func edit(fset *token.FileSet, src []byte, s ast.Stmt, k Kind) (Edit, error) {
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	e := Edit{Line: fset.Position(s.Pos()).Line, Kind: k}
	if k == Delete {
		e.start, e.end = off(s.Pos()), off(s.End())
		return e, nil
	}
	if k == NoSeq {
		return noSeqEdit(fset, src, s, e)
	}
	var cond ast.Expr
	switch s := s.(type) {
	case *ast.IfStmt:
		cond = s.Cond
	case *ast.ReturnStmt:
		if len(s.Results) == 1 {
			cond = s.Results[0]
		}
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			cond = s.Rhs[0]
		}
	}
	if cond == nil {
		return e, fmt.Errorf("kind %s needs an if, a single-result return or a single assignment", k)
	}
	e.start, e.end = off(cond.Pos()), off(cond.End())
	c := string(src[e.start:e.end])
	if k == True {
		e.text = "(" + c + ") || true"
	} else {
		e.text = "(" + c + ") && false"
	}
	return e, nil
}

// forkMutators are the extent.Map methods that bump the fork's sequence.
var forkMutators = []string{"Set", "Remove", "Convert"}

// noSeqEdit passes extent.NoSeqBump to the first fork mutator call in s.
func noSeqEdit(fset *token.FileSet, src []byte, s ast.Stmt, e Edit) (Edit, error) {
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	var call *ast.CallExpr
	ast.Inspect(s, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && call == nil {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && slices.Contains(forkMutators, sel.Sel.Name) {
				call = c
			}
		}
		return call == nil
	})
	if call == nil {
		return e, fmt.Errorf("kind noseq needs a call to a fork mutator (%s)", strings.Join(forkMutators, ", "))
	}
	if call.Ellipsis.IsValid() {
		last := call.Args[len(call.Args)-1]
		e.start, e.end = off(last.Pos()), off(call.Ellipsis)
		e.text = "append(" + string(src[e.start:e.end]) + ", extent.NoSeqBump)"
		return e, nil
	}
	e.start, e.end = off(call.Rparen), off(call.Rparen)
	e.text = ", extent.NoSeqBump"
	return e, nil
}

// Apply returns the mutated contents of every file the site edits, read
// from the module root.
func (s Site) Apply(root string) (map[string][]byte, error) {
	byFile := map[string][]Edit{}
	for _, e := range s.Edits {
		byFile[e.File] = append(byFile[e.File], e)
	}
	out := map[string][]byte{}
	for file, edits := range byFile {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			return nil, err
		}
		out[file] = dropUnusedImports(applyEdits(src, edits))
	}
	return out, nil
}

// dropUnusedImports removes the imports a mutant left unused (a deleted
// call was a package's only use), which would not compile. Source that
// does not parse is returned as it is, for the build to report.
func dropUnusedImports(src []byte) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly)
	if err != nil {
		return src
	}
	full, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		return src
	}
	used := map[string]bool{}
	ast.Inspect(full, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var drop []Edit
	for _, imp := range f.Imports {
		p := strings.Trim(imp.Path.Value, `"`)
		name := path.Base(p)
		if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
			name = path.Base(path.Dir(p)) // a major version suffix: math/rand/v2 is rand
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "_" || name == "." || used[name] {
			continue
		}
		drop = append(drop, Edit{start: fset.Position(imp.Pos()).Offset, end: fset.Position(imp.End()).Offset})
	}
	return applyEdits(src, drop)
}

// applyEdits replaces each edit's range, last first so offsets hold.
func applyEdits(src []byte, edits []Edit) []byte {
	edits = slices.Clone(edits)
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := bytes.Clone(src)
	for _, e := range edits {
		out = slices.Concat(out[:e.start], []byte(e.text), out[e.end:])
	}
	return out
}
