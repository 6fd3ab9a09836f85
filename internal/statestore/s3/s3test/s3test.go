// Package s3test starts a real S3 server for tests: versitygw with its
// posix backend, at the version pinned in tools/s3/go.mod. The first test
// that needs it builds it (go build in tools/s3, a minute or more on a cold
// cache) into the user cache directory under a name keyed by tools/s3/go.sum,
// so later runs reuse the binary; each test process starts its own server on
// a free port in 35000-35999 over a temp directory, and stops it at cleanup.
//
// Tests that need it are skipped unless GK_S3=1, so that the default test
// command does not pay for the build (see README: the S3 test command).
package s3test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3"
)

// EnvVar enables the tests that need the server.
const EnvVar = "GK_S3"

// Port range the server may listen on.
const (
	portLo = 35000
	portHi = 35999
)

// Server is a running versitygw.
type Server struct {
	Endpoint  string // 127.0.0.1:port
	AccessKey string
	SecretKey string
	cmd       *exec.Cmd
	buckets   atomic.Int64
	tag       string
	dir       string // the server's data, removed by stop
	exited    chan error
}

var (
	mu     sync.Mutex
	shared *Server
)

// Enabled reports whether GK_S3=1.
func Enabled() bool { return os.Getenv(EnvVar) == "1" }

// Skip skips t unless GK_S3=1.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skipf("set %s=1 to run tests against a real S3 server (versitygw)", EnvVar)
	}
}

// Shared returns the server of this test process, starting it on first use
// (skipping t unless GK_S3=1). It runs until the process exits: tests of a
// package share it, each in its own bucket (NewStore).
func Shared(t testing.TB) *Server {
	t.Helper()
	Skip(t)
	mu.Lock()
	defer mu.Unlock()
	if shared == nil {
		srv, err := start()
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		shared = srv
	}
	return shared
}

// Stop stops the shared server, if any (from TestMain, after m.Run).
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
}

// Config returns a store config for bucket (empty prefix), with the
// server's credentials.
func (s *Server) Config(bucket string) s3.Config {
	return s3.Config{Endpoint: s.Endpoint, Bucket: bucket, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Timeout: time.Minute}
}

// NewBucket creates a new empty bucket and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t-%s-%d", s.tag, s.buckets.Add(1))
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("s3test: make bucket %s: %v", name, err)
	}
	return name
}

// NewStore opens a store in a new empty bucket, under prefix (may be "").
func (s *Server) NewStore(t testing.TB, prefix string) *s3.Store {
	t.Helper()
	cfg := s.Config(s.NewBucket(t))
	cfg.Prefix = prefix
	st, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (s *Server) stop() {
	_ = s.cmd.Process.Kill()
	<-s.exited
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// start builds the binary if needed and starts it, trying a few ports.
func start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gk-s3-")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 10 {
		srv, err := startOn(bin, dir)
		if err == nil {
			srv.dir = dir
			return srv, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func startOn(bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, strconv.Itoa(port))
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	srv := &Server{
		Endpoint:  net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		AccessKey: "gk" + randHex(8),
		SecretKey: randHex(20),
		tag:       randHex(4),
	}
	// Credentials go through the environment, not argv (ps shows argv).
	cmd := exec.Command(bin, "--port", srv.Endpoint, "--quiet", "posix", "--nometa", data)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+srv.AccessKey, "ROOT_SECRET_KEY="+srv.SecretKey)
	logf, err := os.Create(data + ".log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	logf.Close()
	srv.cmd = cmd
	exited := make(chan error, 1)
	srv.exited = exited
	go func() { exited <- cmd.Wait() }()
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.ListBuckets(ctx)
		cancel()
		if err == nil {
			return srv, nil
		}
		select {
		case werr := <-exited:
			log, _ := os.ReadFile(data + ".log")
			return nil, fmt.Errorf("versitygw exited (%v) on port %d: %s", werr, port, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return nil, fmt.Errorf("versitygw on port %d not ready after 30s: %v", port, err)
		}
	}
}

// freePort returns a port in the range that was free a moment ago.
func freePort() (int, error) {
	for range 50 {
		n, err := rand.Int(rand.Reader, big.NewInt(portHi-portLo+1))
		if err != nil {
			return 0, err
		}
		port := portLo + int(n.Int64())
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no free port in %d-%d", portLo, portHi)
}

// Binary returns the path of the versitygw binary of tools/s3, building it
// into the user cache directory if no binary of this tools/s3/go.sum is
// there. GK_S3_VERSITYGW, if set, names a binary to use instead.
func Binary() (string, error) {
	if p := os.Getenv("GK_S3_VERSITYGW"); p != "" {
		return p, nil
	}
	toolDir, err := toolsDir()
	if err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(toolDir, "go.sum"))
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(sum)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "gatekeeper", "versitygw-"+hex.EncodeToString(h[:8]))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	// Build to a temp name, then write the cache entry through atomicfile:
	// test processes of several packages may build at once, and none may
	// run a half-written binary.
	tmp := bin + ".tmp" + randHex(4)
	defer os.Remove(tmp)
	cmd := exec.Command("go", "build", "-o", tmp, "github.com/versity/versitygw/cmd/versitygw")
	cmd.Dir = toolDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building versitygw in %s: %v\n%s", toolDir, err, out)
	}
	b, err := os.ReadFile(tmp)
	if err != nil {
		return "", err
	}
	if err := atomicfile.Write(bin, b, 0o755); err != nil {
		return "", err
	}
	return bin, nil
}

// toolsDir finds tools/s3 above the working directory (a package's
// directory under go test).
func toolsDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "tools", "s3")
		if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("tools/s3/go.mod not found above the working directory")
		}
		dir = parent
	}
}
