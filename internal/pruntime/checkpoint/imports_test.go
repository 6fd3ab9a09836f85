package checkpoint_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package inside the enclave's trusted computing base:
// its non-test files import only the standard library, internal/tee,
// internal/protocol and internal/atomicfile (itself standard library only).
func TestImports(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{
		"github.com/gatekeeper-net/gatekeeper/internal/atomicfile": true,
		"github.com/gatekeeper-net/gatekeeper/internal/tee":        true,
		"github.com/gatekeeper-net/gatekeeper/internal/protocol":   true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			stdlib := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
			if !stdlib && !allowed[path] {
				t.Errorf("%s imports %s, outside the enclave's TCB", name, path)
			}
		}
	}
}
