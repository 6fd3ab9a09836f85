package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
)

// gkdBinary builds cmd/gkd once per test binary.
func gkdBinary(t *testing.T) string { return e2etest.Binary(t, "gkd") }

// pruntimeBinary builds cmd/pruntime once per test binary.
func pruntimeBinary(t *testing.T) string { return e2etest.Binary(t, "pruntime") }

// devnet is a running `gkd devnet` process.
type devnet struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func startDevnet(t *testing.T, gkd, home string, args ...string) *devnet {
	t.Helper()
	d := &devnet{out: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd = exec.Command(gkd, append([]string{"devnet", "--home", home, "--status-interval", "0"}, args...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("devnet output:\n%s", d.out.String())
			if log, err := os.ReadFile(filepath.Join(home, "node.log")); err == nil {
				t.Logf("node.log tail:\n%s", e2etest.Tail(string(log), 40))
			}
		}
	})
	return d
}

// interrupt sends SIGINT, as Ctrl-C does, and waits for a clean exit.
func (d *devnet) interrupt(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("devnet exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("devnet did not stop within 60s of SIGINT")
	}
}

// gkdJSON runs a gkd CLI command with -o json and decodes its output.
func gkdJSON(t *testing.T, gkd string, v any, args ...string) {
	t.Helper()
	out := gkdRun(t, gkd, append(args, "-o", "json")...)
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("gkd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func gkdRun(t *testing.T, gkd string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gkd, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gkd %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// eventually polls f every 250ms until it returns true or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// syncBuffer is the tests' concurrent log sink.
type syncBuffer = e2etest.SyncBuffer

func execOutput(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).Output()
}

// gkDevnet is a `gkd devnet --gatekeepers 3 --workers 2` that an e2e test
// started, with short blocks and votes, on free ports, and its manifest.
type gkDevnet struct {
	*devnet
	gkd, home, node string
	args            []string
	manifest        devnetpkg.Manifest
}

// startGKDevnet starts the devnet with extra flags after the defaults (a
// flag given again overrides), waits for its first block and for its
// manifest to list the five pRuntimes and the trust root.
func startGKDevnet(t *testing.T, extra ...string) *gkDevnet {
	t.Helper()
	g := &gkDevnet{gkd: gkdBinary(t), home: t.TempDir()}
	offset := e2etest.FreePortOffset(t, 0)
	g.node = fmt.Sprintf("tcp://127.0.0.1:%d", 26657+offset)
	g.args = append([]string{"--port-offset", strconv.Itoa(offset), "--block-time", "300ms", "--voting-period", "4s",
		"--gatekeepers", "3", "--workers", "2"}, extra...)
	g.restart(t)
	eventually(t, 30*time.Second, "devnet.json with pRuntimes and the trust root", func() bool {
		m, err := devnetpkg.ReadManifest(g.home)
		g.manifest = m
		return err == nil && len(m.PRuntimes) == 5 && m.TrustRoot != ""
	})
	return g
}

// restart starts the devnet process (again) on the same home and waits
// until its node answers.
func (g *gkDevnet) restart(t *testing.T) {
	t.Helper()
	g.devnet = startDevnet(t, g.gkd, g.home, g.args...)
	waitForHeight(t, g.gkd, g.node, 1)
}

// gatekeepers and workers are the devnet's pRuntimes by role.
func (g *gkDevnet) gatekeepers() []devnetpkg.PRuntime { return g.manifest.PRuntimes[:3] }
func (g *gkDevnet) workers() []devnetpkg.PRuntime     { return g.manifest.PRuntimes[3:] }

// showWorkerLogOnFailure logs, if the test fails, the lines of the
// devnet's workers.log that contain one of words (and every error line).
func (g *gkDevnet) showWorkerLogOnFailure(t *testing.T, what string, words ...string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(filepath.Join(g.home, "workers.log"))
		if err != nil {
			return
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "level=ERROR") || slices.ContainsFunc(words, func(w string) bool { return strings.Contains(l, w) }) {
				lines = append(lines, l)
			}
		}
		t.Logf("workers.log, %s lines:\n%s", what, e2etest.Tail(strings.Join(lines, "\n"), 60))
	})
}
