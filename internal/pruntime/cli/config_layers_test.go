package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestValidateNamesRealFlags: every flag a Config.Validate or trust root
// error names (--x) is a flag of `pruntime run`, so the operator can act on
// the message.
func TestValidateNamesRealFlags(t *testing.T) {
	t.Parallel()
	var help bytes.Buffer
	if code := Main([]string{"run", "--help"}, &bytes.Buffer{}, &help); code != 0 {
		t.Fatalf("run --help: exit %d", code)
	}
	var named []string
	for _, f := range []string{"../config.go", "cli.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"pruntime: [^"]*`).FindAll(src, -1) {
			for _, fl := range regexp.MustCompile(`--[a-z][a-z-]*[a-z]`).FindAll(m, -1) {
				named = append(named, string(fl[2:]))
			}
		}
	}
	if len(named) < 20 {
		t.Fatalf("found only %d flag names in error messages: %v", len(named), named)
	}
	for _, fl := range named {
		if fl == "dump" {
			continue // attest's own flag
		}
		if !strings.Contains(help.String(), "  -"+fl+" ") && !strings.Contains(help.String(), "  -"+fl+"\n") {
			t.Errorf("an error names --%s, which pruntime run does not have", fl)
		}
	}
}

// TestConfigLayers: identity flags from a config file, overridden by a
// PRUNTIME_ variable, overridden by a flag; an unknown key is refused by
// name before anything is created.
func TestConfigLayers(t *testing.T) {
	base := "chain-id = \"gk-1\"\ngenesis-validators-hash = \"" + strings.Repeat("11", 32) + "\"\ntee = \"sim\"\noperator = \"" + testOperator + "\"\n"
	write := func(text string) string {
		p := filepath.Join(t.TempDir(), "pruntime.toml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"attest"}, args...), &stdout, &stderr)
		return code, stderr.String()
	}
	t.Run("file alone", func(t *testing.T) {
		data := t.TempDir()
		if code, errOut := run("--config", write(base+"data-dir = \""+data+"\"\n"), "--dump", filepath.Join(t.TempDir(), "out")); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "d")
		code, errOut := run("--config", write(base+"data-dir = \""+data+"\"\nchainid = \"x\"\n"), "--dump", filepath.Join(t.TempDir(), "out"))
		if code != 2 || !strings.Contains(errOut, `unknown key "chainid"`) {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if _, err := os.Stat(data); err == nil {
			t.Fatal("data dir created despite the refused config")
		}
	})
	t.Run("env over file", func(t *testing.T) {
		t.Setenv("PRUNTIME_OPERATOR", "gk1typo")
		code, errOut := run("--config", write(base+"data-dir = \""+t.TempDir()+"\"\n"), "--dump", filepath.Join(t.TempDir(), "out"))
		if code != 2 || !strings.Contains(errOut, "--operator") {
			t.Fatalf("exit %d, stderr %q; want the env's bad --operator refused", code, errOut)
		}
	})
	t.Run("flag over env", func(t *testing.T) {
		t.Setenv("PRUNTIME_OPERATOR", "gk1typo")
		code, errOut := run("--config", write(base+"data-dir = \""+t.TempDir()+"\"\n"), "--operator", testOperator, "--dump", filepath.Join(t.TempDir(), "out"))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
	t.Run("bad value names the flag", func(t *testing.T) {
		t.Setenv("PRUNTIME_TRUST_HEIGHT", "tall")
		code, errOut := run("--config", write(base+"data-dir = \""+t.TempDir()+"\"\n"), "--dump", filepath.Join(t.TempDir(), "out"))
		if code != 2 || !strings.Contains(errOut, "--trust-height: tall from PRUNTIME_TRUST_HEIGHT") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
}
