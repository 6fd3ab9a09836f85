package s3_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3/s3test"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/statestoretest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.Stop()
	os.Exit(code)
}

func TestConformance(t *testing.T) {
	srv := s3test.Shared(t)
	statestoretest.Run(t, func(t *testing.T) statestore.Store { return srv.NewStore(t, "") })
}

// The suite again under a prefix: the prefix is invisible in names.
func TestConformancePrefix(t *testing.T) {
	srv := s3test.Shared(t)
	statestoretest.Run(t, func(t *testing.T) statestore.Store { return srv.NewStore(t, "cluster-1/state") })
}

// Two stores under different prefixes of one bucket do not see each
// other's objects, and keys outside the name rules written by something
// else are not listed.
func TestPrefixIsolation(t *testing.T) {
	srv := s3test.Shared(t)
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	open := func(prefix string) *s3.Store {
		cfg := srv.Config(bucket)
		cfg.Prefix = prefix
		s, err := s3.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, root := open("a"), open("ab"), open("")
	if err := a.Put(ctx, "x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "y", []byte("2")); err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a/bad name~obj", "a/x", "a/.~obj", "a/z/../x~obj"} {
		if _, err := c.PutObject(ctx, bucket, k, strings.NewReader("junk"), 4, minio.PutObjectOptions{}); err != nil {
			t.Logf("server refused key %q: %v", k, err)
		}
	}
	if got, err := a.List(ctx, ""); err != nil || fmt.Sprint(got) != "[x]" {
		t.Fatalf("a.List = %v, %v; want [x]", got, err)
	}
	if got, err := b.List(ctx, ""); err != nil || fmt.Sprint(got) != "[y]" {
		t.Fatalf("b.List = %v, %v; want [y]", got, err)
	}
	if _, err := b.Get(ctx, "x"); !errors.Is(err, statestore.ErrNotFound) {
		t.Fatalf("b.Get(x) = %v, want ErrNotFound", err)
	}
	if got, err := root.List(ctx, "a"); err != nil || fmt.Sprint(got) != "[a/x ab/y]" {
		t.Fatalf("root.List(a) = %v, %v; want [a/x ab/y]", got, err)
	}
}

// An object the server holds over MaxObjectSize (written by something
// else) is refused by Get without being read whole.
func TestGetOversized(t *testing.T) {
	srv := s3test.Shared(t)
	ctx := context.Background()
	bucket := srv.NewBucket(t)
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	size := int64(statestore.MaxObjectSize + 1)
	if _, err := c.PutObject(ctx, bucket, "big~obj", io.LimitReader(zeros{}, size), size, minio.PutObjectOptions{DisableMultipart: true}); err != nil {
		t.Fatal(err)
	}
	s, err := s3.Open(ctx, srv.Config(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "big"); !errors.Is(err, statestore.ErrTooLarge) {
		t.Fatalf("Get of an oversized object: %v, want ErrTooLarge", err)
	}
}

type zeros struct{}

func (z zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Wrong credentials fail with a message that names the operation and the
// bucket, and never holds the secret; so does a missing bucket.
func TestErrorsHideSecret(t *testing.T) {
	srv := s3test.Shared(t)
	ctx := context.Background()
	cfg := srv.Config(srv.NewBucket(t))
	cfg.SecretKey = "wrong-secret-0123456789abcdef"
	_, err := s3.Open(ctx, cfg)
	if err == nil {
		t.Fatal("Open with a wrong secret succeeded")
	}
	if strings.Contains(err.Error(), cfg.SecretKey) || strings.Contains(err.Error(), srv.SecretKey) {
		t.Fatalf("error holds the secret: %v", err)
	}
	if !strings.Contains(err.Error(), cfg.Bucket) {
		t.Fatalf("error does not name the bucket: %v", err)
	}
	cfg = srv.Config("no-such-bucket")
	if _, err := s3.Open(ctx, cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open of a missing bucket: %v", err)
	}
}

// A server that accepts connections and never answers fails an operation
// at the store's timeout, not never.
func TestTimeout(t *testing.T) {
	var ln net.Listener
	var err error
	for port := 35900; port < 36000; port++ {
		if ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			break
		}
	}
	if ln == nil {
		t.Fatalf("no free port in 35900-35999: %v", err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	cfg := s3.Config{Endpoint: ln.Addr().String(), Bucket: "gk-state", AccessKey: "a", SecretKey: "s", Timeout: 300 * time.Millisecond}
	_, err = s3.Open(context.Background(), cfg)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open against a silent server: %v, want DeadlineExceeded", err)
	}
}

// Config checks need no server.
func TestConfigCheck(t *testing.T) {
	good := s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "state", AccessKey: "a", SecretKey: "s3cr3t-value"}
	bad := map[string]func(c *s3.Config){
		"no endpoint":     func(c *s3.Config) { c.Endpoint = "" },
		"scheme":          func(c *s3.Config) { c.Endpoint = "http://h:1" },
		"user in host":    func(c *s3.Config) { c.Endpoint = "u:p@h:1" },
		"no bucket":       func(c *s3.Config) { c.Bucket = "" },
		"upper bucket":    func(c *s3.Config) { c.Bucket = "State" },
		"short bucket":    func(c *s3.Config) { c.Bucket = "ab" },
		"dotdot bucket":   func(c *s3.Config) { c.Bucket = "a..b" },
		"dash end bucket": func(c *s3.Config) { c.Bucket = "abc-" },
		"bad prefix":      func(c *s3.Config) { c.Prefix = "a/../b" },
		"slash prefix":    func(c *s3.Config) { c.Prefix = "a/" },
		"long prefix": func(c *s3.Config) {
			c.Prefix = strings.Repeat("p", 100) + "/" + strings.Repeat("q", 200) + "/" + strings.Repeat("r", 200) + "/" + strings.Repeat("s", 100)
		},
		"no secret": func(c *s3.Config) { c.SecretKey = "" },
		"negative":  func(c *s3.Config) { c.Timeout = -1 },
	}
	for name, mut := range bad {
		c := good
		mut(&c)
		_, err := s3.Open(context.Background(), c)
		if err == nil {
			t.Errorf("%s: Open accepted %v", name, c)
		} else if strings.Contains(err.Error(), "s3cr3t-value") {
			t.Errorf("%s: error holds the secret: %v", name, err)
		}
	}
	for _, s := range []string{good.String(), fmt.Sprintf("%v %+v %#v", good, good, good)} {
		if strings.Contains(s, "s3cr3t-value") {
			t.Errorf("formatted config holds the secret: %s", s)
		}
	}
}
