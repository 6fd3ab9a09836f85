package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// builtBinary is one command built for this test binary.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // command name -> *builtBinary

// buildBinary builds ../cmd/<name> once per test binary and returns its path.
func buildBinary(t *testing.T, name string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(name, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "gk-e2e-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		out, err := exec.Command("go", "build", "-o", b.path, "../cmd/"+name).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", name, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// gkdBinary builds cmd/gkd once per test binary.
func gkdBinary(t *testing.T) string { return buildBinary(t, "gkd") }

// pruntimeBinary builds cmd/pruntime once per test binary.
func pruntimeBinary(t *testing.T) string { return buildBinary(t, "pruntime") }

// freePortOffset finds an offset whose five devnet ports are all free.
func freePortOffset(t *testing.T) int {
	t.Helper()
	for off := 10000 + (os.Getpid()%500)*20; off < 30000; off += 20 {
		free := true
		for _, p := range []int{26656, 26657, 9090, 1317, 26660} {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+off))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return off
		}
	}
	t.Fatal("no free port range")
	return 0
}

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
				t.Logf("node.log tail:\n%s", tail(string(log), 40))
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

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func execOutput(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).Output()
}
