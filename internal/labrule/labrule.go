package labrule

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// DefaultEngine lists the engine packages. A pattern ending in "/..." matches
// that path and every path below it; any other pattern matches exactly.
var DefaultEngine = []string{
	"iomaplab/pagecache/...",
	"iomaplab/iomap/...",
	"iomaplab/extent/...",
	"iomaplab/blockdev/...",
	"iomaplab/vfs/...",
	"iomaplab/fsmodel/...",
}

// Analyzer reports lab-rule violations in engine packages.
var Analyzer = &analysis.Analyzer{
	Name: "labrule",
	Doc:  "report sync.Mutex/RWMutex/Cond, channels, select and go statements in engine packages (use package lab)",
	Run:  run,
}

var engineFlag string

func init() {
	engineFlag = strings.Join(DefaultEngine, ",")
	Analyzer.Flags.StringVar(&engineFlag, "engine", engineFlag,
		"comma-separated engine package patterns (path or path/...)")
}

// IsEngine reports whether the import path matches one of patterns.
func IsEngine(path string, patterns []string) bool {
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if base, ok := strings.CutSuffix(p, "/..."); ok {
			if path == base || strings.HasPrefix(path, base+"/") {
				return true
			}
		} else if p != "" && path == p {
			return true
		}
	}
	return false
}

// bannedSync are the sync types that hide blocking from the lab scheduler.
var bannedSync = map[string]bool{"Mutex": true, "RWMutex": true, "Cond": true, "NewCond": true}

func run(pass *analysis.Pass) (any, error) {
	if !IsEngine(pass.Pkg.Path(), strings.Split(engineFlag, ",")) {
		return nil, nil
	}
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			checkNode(pass, n)
			return true
		})
	}
	return nil, nil
}

func checkNode(pass *analysis.Pass, n ast.Node) {
	switch n := n.(type) {
	case *ast.GoStmt:
		pass.Reportf(n.Pos(), "go statement in engine package: spawn simulated threads with t.Go / t.GoDaemon")
	case *ast.ChanType:
		pass.Reportf(n.Pos(), "channel type in engine package: use lab.Event or lab locks")
	case *ast.SendStmt:
		pass.Reportf(n.Arrow, "channel send in engine package: use lab.Event")
	case *ast.UnaryExpr:
		if n.Op == token.ARROW {
			pass.Reportf(n.OpPos, "channel receive in engine package: use lab.Event")
		}
	case *ast.SelectStmt:
		pass.Reportf(n.Pos(), "select in engine package: use lab.Event")
	case *ast.RangeStmt:
		if isChan(pass.TypesInfo.TypeOf(n.X)) {
			pass.Reportf(n.For, "range over channel in engine package: use lab.Event")
		}
	case *ast.CallExpr:
		checkCall(pass, n)
	case *ast.Ident:
		if obj, ok := pass.TypesInfo.Uses[n]; ok && isBannedSync(obj) {
			pass.Reportf(n.Pos(), "sync.%s in engine package: use lab.Mutex, lab.RWMutex or lab.Event", obj.Name())
		}
	case *ast.SelectorExpr:
		checkMethod(pass, n)
	}
}

// checkCall reports make of a named channel type and close(ch); make(chan T)
// is already reported through its ChanType.
func checkCall(pass *analysis.Pass, call *ast.CallExpr) {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return
	}
	b, ok := pass.TypesInfo.Uses[id].(*types.Builtin)
	if !ok || len(call.Args) == 0 {
		return
	}
	switch b.Name() {
	case "make":
		if _, lit := ast.Unparen(call.Args[0]).(*ast.ChanType); !lit && isChan(pass.TypesInfo.TypeOf(call.Args[0])) {
			pass.Reportf(call.Pos(), "make of a channel in engine package: use lab.Event")
		}
	case "close":
		if isChan(pass.TypesInfo.TypeOf(call.Args[0])) {
			pass.Reportf(call.Pos(), "close of a channel in engine package: use lab.Event")
		}
	}
}

// checkMethod reports calls of sync.Mutex/RWMutex/Cond methods, also through
// a promoted (embedded) field or a value whose type another package declared.
func checkMethod(pass *analysis.Pass, sel *ast.SelectorExpr) {
	s, ok := pass.TypesInfo.Selections[sel]
	if !ok || (s.Kind() != types.MethodVal && s.Kind() != types.MethodExpr) {
		return
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok {
		return
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok || !isBannedSync(named.Obj()) {
		return
	}
	pass.Reportf(sel.Sel.Pos(), "sync.%s.%s in engine package: use lab.Mutex, lab.RWMutex or lab.Event", named.Obj().Name(), fn.Name())
}

func isBannedSync(obj types.Object) bool {
	return obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == "sync" && obj.Parent() == obj.Pkg().Scope() && bannedSync[obj.Name()]
}

func isChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}
