package treerules

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Limits of the ratchet rules.
const (
	maxPackageLines = 2500
	maxMethods      = 25
)

// Known offenders of the ratchet rules, as found when the rules were
// written (issue 16). The tests fail when an entry no longer offends:
// delete it then. Never add one.
var (
	// knownOversizedPackages are packages under internal/ or x/ with more
	// than maxPackageLines non-test, non-generated lines.
	knownOversizedPackages = []string{}
	// knownBigEnclaveTypes are types in the enclave with more than
	// maxMethods methods, keyed "dir.Type".
	knownBigEnclaveTypes = []string{}
)

// enclaveMain is the command whose linked packages form the enclave.
const enclaveMain = "cmd/pruntime"

var moduleTree = sync.OnceValues(func() (*tree, error) {
	return loadTree(os.DirFS("../.."))
})

func loadModule(t *testing.T) *tree {
	t.Helper()
	tr, err := moduleTree()
	if err != nil {
		t.Fatal(err)
	}
	if tr.pkgs[enclaveMain] == nil || tr.pkgs[atomicfileDir] == nil {
		t.Fatalf("module root ../.. holds no %s or %s", enclaveMain, atomicfileDir)
	}
	return tr
}

func TestEveryPackageHasAComment(t *testing.T) {
	t.Parallel()
	for _, dir := range missingPackageComments(loadModule(t)) {
		t.Errorf("%s: no package comment (a // comment right above the package clause of one file, usually doc.go)", dir)
	}
}

func TestDurableWritesGoThroughAtomicfile(t *testing.T) {
	t.Parallel()
	for _, c := range durabilityCalls(loadModule(t)) {
		t.Errorf("%s: durable writes go through internal/atomicfile", c)
	}
}

func TestPackageSize(t *testing.T) {
	t.Parallel()
	lines := packageLines(loadModule(t))
	offenders := over(lines, maxPackageLines)
	unknown, fixed := ratchet(offenders, knownOversizedPackages)
	for _, p := range unknown {
		t.Errorf("%s holds %d non-test, non-generated lines, more than %d: split it by domain", p, offenders[p], maxPackageLines)
	}
	for _, p := range fixed {
		t.Errorf("%s holds %d lines now, within the limit: delete it from knownOversizedPackages", p, lines[p])
	}
	for _, p := range knownOversizedPackages {
		if n, ok := offenders[p]; ok {
			t.Logf("known offender %s: %d lines", p, n)
		}
	}
}

func TestEnclaveTypeMethods(t *testing.T) {
	t.Parallel()
	tr := loadModule(t)
	enclave := importsClosure(tr, enclaveMain)
	t.Logf("the enclave links %d packages of this module", len(enclave))
	counts := methodCounts(tr, enclave)
	offenders := over(counts, maxMethods)
	unknown, fixed := ratchet(offenders, knownBigEnclaveTypes)
	for _, ty := range unknown {
		t.Errorf("%s has %d methods, more than %d: split it by role", ty, offenders[ty], maxMethods)
	}
	for _, ty := range fixed {
		t.Errorf("%s has %d methods now, within the limit: delete it from knownBigEnclaveTypes", ty, counts[ty])
	}
	for _, ty := range knownBigEnclaveTypes {
		if n, ok := offenders[ty]; ok {
			t.Logf("known offender %s: %d methods", ty, n)
		}
	}
}

// TestEnclaveClosureCoversGoList checks the import walk against the go
// tool: every package of this module that `go list -deps` says cmd/pruntime
// links must be in the walk's enclave (the walk may hold more: it follows
// imports under every build tag).
func TestEnclaveClosureCoversGoList(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	tr := loadModule(t)
	out, err := exec.Command(goTool, "list", "-deps", "../../"+enclaveMain).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	walked := importsClosure(tr, enclaveMain)
	n := 0
	for line := range strings.Lines(string(out)) {
		rel, ok := strings.CutPrefix(strings.TrimSpace(line), tr.module+"/")
		if !ok {
			continue
		}
		n++
		if !slices.Contains(walked, rel) {
			t.Errorf("go list says the enclave links %s; the import walk missed it", rel)
		}
	}
	if n == 0 {
		t.Fatalf("go list named no package of %s:\n%s", tr.module, out)
	}
}
