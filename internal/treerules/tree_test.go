package treerules

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// tree is the module's Go source, parsed.
type tree struct {
	module string              // the module path from go.mod
	fset   *token.FileSet      // positions of every parsed file
	pkgs   map[string]*pkgInfo // by directory, slash-separated from the module root ("." for the root)
}

// pkgInfo is the Go files of one directory.
type pkgInfo struct {
	dir   string
	files []*fileInfo
}

// fileInfo is one parsed Go file.
type fileInfo struct {
	path      string // slash-separated from the module root
	ast       *ast.File
	lines     int  // lines holding code: neither blank nor only comment
	test      bool // a _test.go file
	generated bool // carries the "Code generated ... DO NOT EDIT." header
}

// production returns the package's non-test files.
func (p *pkgInfo) production() []*fileInfo {
	var out []*fileInfo
	for _, f := range p.files {
		if !f.test {
			out = append(out, f)
		}
	}
	return out
}

// loadTree parses every .go file of the module rooted at fsys, skipping
// testdata, vendor, hidden and underscore directories and nested modules.
func loadTree(fsys fs.FS) (*tree, error) {
	mod, err := fs.ReadFile(fsys, "go.mod")
	if err != nil {
		return nil, fmt.Errorf("treerules: %w", err)
	}
	t := &tree{fset: token.NewFileSet(), pkgs: map[string]*pkgInfo{}}
	for line := range strings.Lines(string(mod)) {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			t.module = strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	if t.module == "" {
		return nil, errors.New("treerules: go.mod names no module")
	}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return fs.SkipDir
			}
			if _, err := fs.Stat(fsys, path.Join(p, "go.mod")); p != "." && err == nil {
				return fs.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(t.fset, p, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("treerules: %w", err)
		}
		dir := path.Dir(p)
		pkg := t.pkgs[dir]
		if pkg == nil {
			pkg = &pkgInfo{dir: dir}
			t.pkgs[dir] = pkg
		}
		pkg.files = append(pkg.files, &fileInfo{
			path:      p,
			ast:       f,
			lines:     codeLines(src),
			test:      strings.HasSuffix(p, "_test.go"),
			generated: ast.IsGenerated(f),
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("treerules: %w", err)
	}
	return t, nil
}

// codeLines counts the lines of src that hold a token other than a
// comment (a multi-line string literal counts every line it spans).
func codeLines(src []byte) int {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var sc scanner.Scanner
	sc.Init(file, src, nil, 0) // comments skipped, errors ignored: the file parsed
	lines := map[int]bool{}
	for {
		pos, tok, lit := sc.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line's end, which counts already
		}
		first := file.Line(pos)
		for l := first; l <= first+strings.Count(lit, "\n"); l++ {
			lines[l] = true
		}
	}
	return len(lines)
}

// dirs returns the package directories in order.
func (t *tree) dirs() []string {
	var out []string
	for d := range t.pkgs {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// missingPackageComments lists the packages with non-test, non-generated
// files none of whose non-test files carries a package comment.
func missingPackageComments(t *tree) []string {
	var out []string
	for _, dir := range t.dirs() {
		handwritten, documented := false, false
		for _, f := range t.pkgs[dir].production() {
			handwritten = handwritten || !f.generated
			documented = documented || f.ast.Doc != nil && strings.TrimSpace(f.ast.Doc.Text()) != ""
		}
		if handwritten && !documented {
			out = append(out, dir)
		}
	}
	return out
}

// atomicfileDir is the one package allowed to rename, link and fsync.
const atomicfileDir = "internal/atomicfile"

// durabilityFuncs are the functions, by import path, that rename, link or
// fsync files.
var durabilityFuncs = map[string][]string{
	"os":                       {"Rename", "Link"},
	"syscall":                  {"Rename", "Renameat", "Link", "Linkat", "Fsync", "Fdatasync"},
	"golang.org/x/sys/unix":    {"Rename", "Renameat", "Renameat2", "Link", "Linkat", "Fsync", "Fdatasync", "SyncFileRange"},
	"golang.org/x/sys/windows": {"MoveFile", "MoveFileEx", "FlushFileBuffers"},
}

// durabilityCalls lists, as "file:line: what", every place in a production
// file outside internal/atomicfile that renames, links or fsyncs files.
func durabilityCalls(t *tree) []string {
	var out []string
	for _, dir := range t.dirs() {
		if dir == atomicfileDir {
			continue
		}
		for _, f := range t.pkgs[dir].production() {
			out = append(out, fileDurabilityCalls(t.fset, f.ast)...)
		}
	}
	return out
}

func fileDurabilityCalls(fset *token.FileSet, f *ast.File) []string {
	imports := map[string]string{} // local name → path
	importsOS := false
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := path.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imports[name] = p
		importsOS = importsOS || p == "os"
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && slices.Contains(durabilityFuncs[imports[x.Name]], n.Sel.Name) {
				out = append(out, fmt.Sprintf("%s: %s.%s", fset.Position(n.Pos()), imports[x.Name], n.Sel.Name))
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && importsOS && sel.Sel.Name == "Sync" && len(n.Args) == 0 {
				out = append(out, fmt.Sprintf("%s: a Sync method call", fset.Position(n.Pos())))
			}
		}
		return true
	})
	return out
}

// packageLines returns, for each package under internal/ or x/, its number
// of non-test, non-generated lines.
func packageLines(t *tree) map[string]int {
	out := map[string]int{}
	for _, dir := range t.dirs() {
		if !strings.HasPrefix(dir, "internal/") && !strings.HasPrefix(dir, "x/") {
			continue
		}
		n := 0
		for _, f := range t.pkgs[dir].production() {
			if !f.generated {
				n += f.lines
			}
		}
		out[dir] = n
	}
	return out
}

// importsClosure returns the module's package directories that the
// non-test files of dir import, directly or not, dir included.
func importsClosure(t *tree, dir string) []string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(d string) {
		if seen[d] || t.pkgs[d] == nil {
			return
		}
		seen[d] = true
		for _, f := range t.pkgs[d].production() {
			for _, imp := range f.ast.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if rel, ok := strings.CutPrefix(p, t.module+"/"); ok {
					visit(rel)
				}
			}
		}
	}
	visit(dir)
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// methodCounts returns, for each type declared in dirs that has methods in
// non-test, non-generated files, the number of those methods, keyed
// "dir.Type".
func methodCounts(t *tree, dirs []string) map[string]int {
	out := map[string]int{}
	for _, dir := range dirs {
		for _, f := range t.pkgs[dir].production() {
			if f.generated {
				continue
			}
			for _, decl := range f.ast.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
					continue
				}
				if name := receiverType(fn.Recv.List[0].Type); name != "" {
					out[dir+"."+name]++
				}
			}
		}
	}
	return out
}

// receiverType returns the type name of a receiver: T, *T, T[P], *T[P].
func receiverType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// over returns the keys of counts whose count exceeds limit, in order.
func over(counts map[string]int, limit int) map[string]int {
	out := map[string]int{}
	for k, n := range counts {
		if n > limit {
			out[k] = n
		}
	}
	return out
}

// ratchet compares the offenders of a rule with the known ones: unknown
// lists the offenders not on the list, fixed the listed ones that no longer
// offend. Both sorted.
func ratchet(offenders map[string]int, known []string) (unknown, fixed []string) {
	for k := range offenders {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	for _, k := range known {
		if _, ok := offenders[k]; !ok {
			fixed = append(fixed, k)
		}
	}
	slices.Sort(unknown)
	slices.Sort(fixed)
	return unknown, fixed
}
