// Package s3 is a statestore.Store in an S3-compatible object store (AWS S3,
// MinIO, versitygw, SeaweedFS, ...), through github.com/minio/minio-go/v7.
//
// Object name n is the key Prefix+"/"+n+"~obj" of Bucket (no "Prefix/" with
// no Prefix): names are already restricted by statestore.ValidateName to
// bytes that need no escaping in a key or a URL. The suffix, as in
// statestore.Dir, lets "a" and "a/b" both exist on servers that keep keys as
// files (versitygw's posix backend, SeaweedFS' filer refuse a key that is
// the "directory" of another). List hands back only keys that map back to
// valid names.
//
// Each operation runs under its own deadline (Config.Timeout) besides the
// caller's context. Errors say which operation, object and bucket failed,
// never the credentials.
//
// What the store guarantees is what the server does: a PUT is atomic on
// every S3 server (a reader sees the old object or the new one), and
// durable as the server makes it (AWS S3 and MinIO acknowledge after
// persisting; versitygw's posix backend does not fsync, so a crash of its
// host, unlike a crash of this client, can lose recent writes).
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// DefaultTimeout bounds one operation when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// batchWriters is how many objects PutBatch uploads at once.
const batchWriters = 8

// Config says where the store is and how to reach it.
type Config struct {
	// Endpoint is the server's host:port (no scheme, no path, no user).
	Endpoint string
	// Secure selects HTTPS.
	Secure bool
	// Region is the bucket's region; empty lets the client ask the server.
	Region string
	// Bucket holds the objects; it must exist.
	Bucket string
	// Prefix, if not empty, is a valid object name that every key starts
	// with, followed by '/': stores of several clusters can share a bucket.
	Prefix string
	// AccessKey and SecretKey are the credentials. They are never logged
	// nor put in errors; String redacts SecretKey.
	AccessKey string
	SecretKey string
	// Timeout bounds each operation; zero means DefaultTimeout.
	Timeout time.Duration
	// Transport, if not nil, carries the requests (tests).
	Transport http.RoundTripper
}

// String describes c without its secret.
func (c Config) String() string {
	return fmt.Sprintf("s3 store %s (endpoint %s, secure %t, access key %q)", c.location(), c.Endpoint, c.Secure, c.AccessKey)
}

// GoString is String, so %#v cannot print the secret either.
func (c Config) GoString() string { return c.String() }

func (c Config) location() string {
	if c.Prefix == "" {
		return "s3://" + c.Bucket
	}
	return "s3://" + c.Bucket + "/" + c.Prefix
}

// Store is a statestore.BatchStore in one bucket under one prefix.
type Store struct {
	client  *minio.Client
	core    minio.Core
	bucket  string
	prefix  string // "" or Config.Prefix + "/"
	loc     string
	timeout time.Duration
}

var _ statestore.BatchStore = (*Store)(nil)

// Open checks cfg, connects and checks that the bucket exists (under cfg's
// timeout and ctx).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.Secure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("statestore/s3: endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &Store{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, loc: cfg.location(), timeout: cfg.Timeout}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.fail(ctx, "open", "", err)
	}
	if !ok {
		return nil, fmt.Errorf("statestore/s3: open %s at %s: bucket %q does not exist", s.loc, cfg.Endpoint, cfg.Bucket)
	}
	return s, nil
}

// check validates c's fields.
func (c Config) check() error {
	switch {
	case c.Endpoint == "":
		return errors.New("statestore/s3: empty endpoint")
	case strings.ContainsAny(c.Endpoint, "/@?#"):
		return fmt.Errorf("statestore/s3: endpoint %q: want host:port, no scheme, user, path or query", c.Endpoint)
	case c.Bucket == "":
		return errors.New("statestore/s3: empty bucket")
	case !validBucket(c.Bucket):
		return fmt.Errorf("statestore/s3: bucket %q: want 3..63 bytes of a-z 0-9 . -, starting and ending with a letter or digit", c.Bucket)
	case c.AccessKey == "" || c.SecretKey == "":
		return errors.New("statestore/s3: missing access key or secret key")
	case c.Timeout < 0:
		return fmt.Errorf("statestore/s3: negative timeout %v", c.Timeout)
	}
	if c.Prefix != "" {
		if err := statestore.ValidateName(c.Prefix); err != nil {
			return fmt.Errorf("statestore/s3: prefix: %w", err)
		}
		// A name is at most MaxNameLen bytes; keep its key within S3's 1024.
		if len(c.Prefix)+1+statestore.MaxNameLen+len(objSuffix) > 1024 {
			return fmt.Errorf("statestore/s3: prefix is %d bytes, limit %d", len(c.Prefix), 1024-1-statestore.MaxNameLen-len(objSuffix))
		}
	}
	return nil
}

// validBucket follows S3's bucket naming rules (the DNS-compatible ones).
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || i == len(b)-1 || c != '.' && c != '-') {
			return false
		}
	}
	return !strings.Contains(b, "..")
}

// objSuffix ends every key; names never hold '~'.
const objSuffix = "~obj"

func (s *Store) key(name string) string { return s.prefix + name + objSuffix }

// op starts an operation on name: ctx's error or name's, else a context
// under the store's timeout.
func (s *Store) op(ctx context.Context, name string) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("statestore: %w", err)
	}
	if err := statestore.ValidateName(name); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	return ctx, cancel, nil
}

// fail wraps err of operation op on name. A context that ended is what
// failed (the client's own error then says less), and a missing key is
// statestore.ErrNotFound.
func (s *Store) fail(ctx context.Context, op, name string, err error) error {
	what := s.loc
	if name != "" {
		what = fmt.Sprintf("%s in %s", name, s.loc)
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("statestore/s3: %s %s: %w", op, what, cerr)
	}
	if r := minio.ToErrorResponse(err); r.Code == minio.NoSuchKey {
		return fmt.Errorf("%w: %s", statestore.ErrNotFound, name)
	} else if r.Code != "" {
		return fmt.Errorf("statestore/s3: %s %s: server said %s (HTTP %d): %s", op, what, r.Code, r.StatusCode, r.Message)
	}
	return fmt.Errorf("statestore/s3: %s %s: %w", op, what, err)
}

// Put implements statestore.Store.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	ctx, cancel, err := s.op(ctx, name)
	if err != nil {
		return err
	}
	defer cancel()
	if len(data) > statestore.MaxObjectSize {
		return fmt.Errorf("%w: %s is %d bytes, limit %d", statestore.ErrTooLarge, name, len(data), statestore.MaxObjectSize)
	}
	for try := 1; ; try++ {
		_, err = s.client.PutObject(ctx, s.bucket, s.key(name), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
			ContentType: "application/octet-stream",
			// One request, not a multipart upload, so the PUT is atomic;
			// the client sends a checksum the server verifies.
			DisableMultipart: true,
			SendContentMd5:   true,
		})
		if err == nil {
			return nil
		}
		if try == putTries || !treeRace(err) || ctx.Err() != nil {
			return s.fail(ctx, "put", name, err)
		}
		select {
		case <-ctx.Done():
			return s.fail(ctx, "put", name, err)
		case <-time.After(time.Duration(try) * time.Millisecond):
		}
	}
}

// putTries bounds the attempts of a Put that meets treeRace.
const putTries = 8

// treeRace reports whether err is a server that keeps keys as files
// refusing a PUT because a key's "directory" is a file or the key is a
// directory. Under the "~obj" mapping neither can be true of a store's
// keys (no key ends a directory's name, no directory name ends in "~obj"),
// so it is the server racing its own mkdir against the rmdir of a
// concurrent DELETE (seen with versitygw's posix backend): try again.
func treeRace(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "ExistingObjectIsDirectory", "ObjectParentIsFile":
		return true
	}
	return false
}

// Get implements statestore.Store. An object the server reports, or
// sends, larger than MaxObjectSize is refused without reading it whole.
func (s *Store) Get(ctx context.Context, name string) ([]byte, error) {
	ctx, cancel, err := s.op(ctx, name)
	if err != nil {
		return nil, err
	}
	defer cancel()
	// One request: the size announced and the body are of one response.
	obj, st, _, err := s.core.GetObject(ctx, s.bucket, s.key(name), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail(ctx, "get", name, err)
	}
	defer obj.Close()
	if st.Size > statestore.MaxObjectSize || st.Size < 0 {
		return nil, fmt.Errorf("%w: %s in %s is %d bytes, limit %d", statestore.ErrTooLarge, name, s.loc, st.Size, statestore.MaxObjectSize)
	}
	buf := bytes.NewBuffer(make([]byte, 0, st.Size+1))
	if _, err := buf.ReadFrom(io.LimitReader(obj, statestore.MaxObjectSize+1)); err != nil {
		return nil, s.fail(ctx, "get", name, err)
	}
	if buf.Len() > statestore.MaxObjectSize {
		return nil, fmt.Errorf("%w: %s in %s exceeds %d bytes", statestore.ErrTooLarge, name, s.loc, statestore.MaxObjectSize)
	}
	if int64(buf.Len()) != st.Size {
		return nil, fmt.Errorf("statestore/s3: get %s in %s: read %d bytes, server announced %d", name, s.loc, buf.Len(), st.Size)
	}
	return buf.Bytes(), nil
}

// Delete implements statestore.Store. S3's DELETE succeeds on a missing
// key, so Delete asks first: two concurrent Deletes of one object may both
// succeed.
func (s *Store) Delete(ctx context.Context, name string) error {
	ctx, cancel, err := s.op(ctx, name)
	if err != nil {
		return err
	}
	defer cancel()
	if _, err := s.client.StatObject(ctx, s.bucket, s.key(name), minio.StatObjectOptions{}); err != nil {
		return s.fail(ctx, "delete", name, err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(name), minio.RemoveObjectOptions{}); err != nil {
		return s.fail(ctx, "delete", name, err)
	}
	return nil
}

// List implements statestore.Store. Keys under the store's prefix that are
// not valid names (written by something else) are left out.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("statestore: %w", err)
	}
	if len(prefix) > statestore.MaxNameLen {
		return []string{}, nil // no name is longer
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	names := []string{}
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, s.fail(ctx, "list", "", fmt.Errorf("prefix %q: %w", prefix, o.Err))
		}
		name, ok := strings.CutPrefix(o.Key, s.prefix)
		name, ok2 := strings.CutSuffix(name, objSuffix)
		if ok && ok2 && strings.HasPrefix(name, prefix) && statestore.ValidateName(name) == nil {
			names = append(names, name)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("statestore/s3: list %q in %s: %w", prefix, s.loc, err)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// PutBatch implements statestore.BatchStore: every object is one PUT,
// durable when it returns, batchWriters at a time; a later object of a
// name wins over an earlier one of the batch, as with Puts in order.
func (s *Store) PutBatch(ctx context.Context, objs []statestore.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	last := make(map[string]int, len(objs))
	for i, o := range objs {
		if err := statestore.ValidateName(o.Name); err != nil {
			return err
		}
		if len(o.Data) > statestore.MaxObjectSize {
			return fmt.Errorf("%w: %s is %d bytes, limit %d", statestore.ErrTooLarge, o.Name, len(o.Data), statestore.MaxObjectSize)
		}
		last[o.Name] = i
	}
	work := make(chan int)
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for range min(batchWriters, len(objs)) {
		wg.Go(func() {
			for i := range work {
				errs[i] = s.Put(ctx, objs[i].Name, objs[i].Data)
			}
		})
	}
	for i, o := range objs {
		if last[o.Name] == i {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}
