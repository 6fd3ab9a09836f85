package cliconfig_test

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/cliconfig"
)

type settings struct {
	node   string
	batch  int
	poll   time.Duration
	secret string
}

func newFlags() (*flag.FlagSet, *settings) {
	var s settings
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.node, "node", "default-node", "")
	fs.IntVar(&s.batch, "ingress-batch", 500, "")
	fs.DurationVar(&s.poll, "poll", time.Second, "")
	fs.StringVar(&s.secret, "passphrase", "", "")
	return fs, &s
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestPrecedence: flag > environment > file > default, flag by flag.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "node = \"file-node\"\ningress-batch = 7\npoll = \"3s\"\n")
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		node  string
		batch int
		poll  time.Duration
	}{
		{"defaults", nil, nil, "default-node", 500, time.Second},
		{"file over default", []string{"--config", file}, nil, "file-node", 7, 3 * time.Second},
		{"config file from env", nil, map[string]string{"X_CONFIG": file}, "file-node", 7, 3 * time.Second},
		{"env over file", []string{"--config", file}, map[string]string{"X_NODE": "env-node", "X_INGRESS_BATCH": "9"}, "env-node", 9, 3 * time.Second},
		{"flag over env and file", []string{"--config", file, "--node", "flag-node"}, map[string]string{"X_NODE": "env-node"}, "flag-node", 7, 3 * time.Second},
		{"flag over env, no file", []string{"--ingress-batch=11"}, map[string]string{"X_INGRESS_BATCH": "9", "X_POLL": "2s"}, "default-node", 11, 2 * time.Second},
		{"empty env is unset", []string{"--config", file}, map[string]string{"X_NODE": ""}, "file-node", 7, 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs, s := newFlags()
			l := cliconfig.Layers{EnvPrefix: "X", Getenv: env(tc.env)}
			if err := l.Parse(fs, tc.args); err != nil {
				t.Fatal(err)
			}
			if s.node != tc.node || s.batch != tc.batch || s.poll != tc.poll {
				t.Fatalf("got node=%q batch=%d poll=%s, want %q %d %s", s.node, s.batch, s.poll, tc.node, tc.batch, tc.poll)
			}
		})
	}
}

// TestRefused: each refusal names the key or flag at fault.
func TestRefused(t *testing.T) {
	t.Parallel()
	secret := map[string]bool{"passphrase": true}
	cases := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string
		is   error
	}{
		{name: "unknown key", file: "node = \"a\"\nnod = \"b\"\n", want: `unknown key "nod"`, is: cliconfig.ErrUnknownKey},
		{name: "config key in file", file: "config = \"other.toml\"\n", want: `unknown key "config"`, is: cliconfig.ErrUnknownKey},
		{name: "secret in file", file: "passphrase = \"hunter2\"\n", want: "--passphrase: not accepted in a config file"},
		{name: "secret in env", env: map[string]string{"X_PASSPHRASE": "hunter2"}, want: "--passphrase: not accepted from X_PASSPHRASE"},
		{name: "table", file: "[node]\nx = 1\n", want: `key "node"`},
		{name: "array", file: "node = [\"a\"]\n", want: `key "node"`},
		{name: "duplicate key", file: "node = \"a\"\nnode = \"b\"\n", want: "node"},
		{name: "bad value in file", file: "ingress-batch = \"many\"\n", want: "--ingress-batch: many in"},
		{name: "bad value in env", env: map[string]string{"X_POLL": "soon"}, want: "--poll: soon from X_POLL"},
		{name: "not toml", file: "node: a\n", want: "--config"},
		{name: "too large", file: "node = \"" + strings.Repeat("a", cliconfig.MaxFileSize) + "\"\n", want: "larger than"},
		{name: "missing file", args: []string{"--config", "/nonexistent/x.toml"}, want: "--config"},
		{name: "stray argument", args: []string{"run"}, want: `unexpected argument "run"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs, s := newFlags()
			args := tc.args
			if tc.file != "" {
				args = append([]string{"--config", writeFile(t, tc.file)}, args...)
			}
			err := cliconfig.Layers{EnvPrefix: "X", Secret: secret, Getenv: env(tc.env)}.Parse(fs, args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if strings.Contains(err.Error(), "hunter2") || s.secret != "" {
				t.Fatalf("the secret leaked into the error or the setting: %v", err)
			}
		})
	}
}

// TestSecretOnCommandLine: a secret flag still works as a flag.
func TestSecretOnCommandLine(t *testing.T) {
	t.Parallel()
	fs, s := newFlags()
	l := cliconfig.Layers{EnvPrefix: "X", Secret: map[string]bool{"passphrase": true}, Getenv: env(nil)}
	if err := l.Parse(fs, []string{"--passphrase", "p"}); err != nil || s.secret != "p" {
		t.Fatalf("err = %v, secret = %q", err, s.secret)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	fs, _ := newFlags()
	if err := (cliconfig.Layers{EnvPrefix: "X", Getenv: env(nil)}).Parse(fs, []string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	if got := cliconfig.EnvName("PRUNTIME", "ready-max-lag"); got != "PRUNTIME_READY_MAX_LAG" {
		t.Fatalf("got %q", got)
	}
}

// FuzzParse: the config file parser never panics, and what it accepts is
// flat text values only.
func FuzzParse(f *testing.F) {
	f.Add([]byte("node = \"tcp://127.0.0.1:26657\"\ningress-batch = 7\npoll = \"3s\"\nflag = true\nx = 1.5\n"))
	f.Add([]byte("[t]\na = 1\n"))
	f.Add([]byte("a = [1, {b = 2}]\n"))
	f.Add([]byte("a = 1979-05-27T07:32:00Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := cliconfig.Parse(b)
		if err != nil {
			return
		}
		if len(b) > cliconfig.MaxFileSize {
			t.Fatalf("accepted %d bytes", len(b))
		}
		for k := range m {
			if k == "" && !strings.Contains(string(b), `""`) && !strings.Contains(string(b), `''`) {
				t.Fatalf("empty key from %q", b)
			}
		}
	})
}
