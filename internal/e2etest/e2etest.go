// Package e2etest holds what end-to-end tests (e2e/) and whole-system
// benchmarks (bench/) share to run the real binaries on this machine:
// building them once, finding free loopback ports, reading logs.
package e2etest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Module is the import path the binaries are built from.
const Module = "github.com/gatekeeper-net/gatekeeper"

type built struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // command name -> *built

// Binary builds cmd/<name> once per test process and returns its path.
func Binary(t testing.TB, name string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(name, &built{})
	b := v.(*built)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "gk-test-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		out, err := exec.Command("go", "build", "-o", b.path, Module+"/cmd/"+name).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", name, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePortIn returns a loopback port in [lo, hi] that was free a moment
// ago, for a test confined to a port range. The search starts at a point
// that depends on the process id, so that parallel processes rarely collide.
func FreePortIn(t testing.TB, lo, hi int) int {
	t.Helper()
	n := hi - lo + 1
	for i := range n {
		p := lo + (os.Getpid()+i*7)%n
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	t.Fatalf("no free port in %d-%d", lo, hi)
	return 0
}

// devnetPorts are the default ports of `gkd devnet` (p2p, RPC, gRPC, REST,
// metrics, the first pRuntimes, their app APIs and their relayers'
// metrics), to which --port-offset is added.
var devnetPorts = []int{26656, 26657, 9090, 1317, 26660, 8000, 8001, 8002, 8003, 8004, 8100, 8101, 8102, 8103, 8104, 8200, 8201, 8202, 8203, 8204}

// FreePortOffset returns a --port-offset above after whose devnet ports are
// all free. Offsets step by 20, starting from one that depends on the
// process id, so that parallel test processes rarely collide.
func FreePortOffset(t testing.TB, after int) int {
	t.Helper()
	for off := max(after+20, 10000+(os.Getpid()%500)*20); off < 30000; off += 20 {
		if portsFree(off) {
			return off
		}
	}
	t.Fatal("no free devnet port range")
	return 0
}

func portsFree(offset int) bool {
	for _, p := range devnetPorts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+offset))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// SecretEncodings returns the forms in which secret could appear in a log or
// an error: hex (both cases) and base64 (standard and URL, padded or not).
// Tests that check that key material never reaches a log grep for all of them.
func SecretEncodings(secret []byte) []string {
	return []string{
		hex.EncodeToString(secret),
		strings.ToUpper(hex.EncodeToString(secret)),
		base64.StdEncoding.EncodeToString(secret),
		base64.RawStdEncoding.EncodeToString(secret),
		base64.URLEncoding.EncodeToString(secret),
		base64.RawURLEncoding.EncodeToString(secret),
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers: a log sink for
// servers, relayers and processes under test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
