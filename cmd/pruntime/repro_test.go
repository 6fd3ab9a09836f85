package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproducibleBuild: `make build` of the same tree in two different
// directories gives byte-identical pruntime binaries, so both report the same
// sim measurement; `pruntime measurement` prints that measurement and
// `--version` the injected version and commit. Before -trimpath and the
// other flags of the Makefile, the two binaries differed (each embedded its
// directory), and so did their measurements.
//
// Both builds share Go's build cache by default: with -trimpath a package's
// cache key leaves its directory out, so the second build reuses the
// first's objects, and without it (the old Makefile) the second recompiles
// with its own directory embedded and the bytes differ. GK_REPRO_COLD=1
// gives the second build an empty cache, compiling everything again as
// another machine would (minutes on a loaded machine; run before a release).
func TestReproducibleBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pruntime twice")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dirA := filepath.Join(base, "a", "gatekeeper")
	dirB := filepath.Join(base, "elsewhere", "deeper", "src")
	copyTree(t, root, dirA)
	copyTree(t, root, dirB)

	const version, commit = "v9.9.9-test", "0123456789abcdef0123456789abcdef01234567"
	build := func(dir string, env ...string) []byte {
		cmd := exec.Command("make", "build", "CMDS=pruntime", "VERSION="+version, "COMMIT="+commit)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make build in %s: %v\n%s", dir, err, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "build", "pruntime"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := build(dirA)
	var env []string
	if os.Getenv("GK_REPRO_COLD") != "" {
		env = append(env, "GOCACHE="+filepath.Join(base, "gocache"))
	}
	b := build(dirB, env...)
	if !bytes.Equal(a, b) {
		t.Fatalf("pruntime built in %s (%d bytes, sha256 %x) and %s (%d bytes, sha256 %x) differ",
			dirA, len(a), sha256.Sum256(a), dirB, len(b), sha256.Sum256(b))
	}
	for _, d := range []string{dirA, dirB} {
		if bytes.Contains(a, []byte(d)) {
			t.Fatalf("the binary embeds its build directory %s", d)
		}
	}

	bin := filepath.Join(dirB, "build", "pruntime")
	out, err := exec.Command(bin, "measurement").Output()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(a)
	if want := "sim\t" + hex.EncodeToString(sum[:]) + "\n"; !strings.HasPrefix(string(out), want) {
		t.Fatalf("pruntime measurement printed\n%s\nwant it to start with %q", out, want)
	}
	out, err = exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), "pruntime "+version+" (commit "+commit+")"; got != want {
		t.Fatalf("pruntime --version printed %q, want %q", got, want)
	}
}

// copyTree copies the source tree at src to dst, leaving out dot
// directories (.git) and build outputs.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "build") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
