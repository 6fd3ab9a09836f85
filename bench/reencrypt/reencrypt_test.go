package reencrypt_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore/s3/s3test"
)

// Flags feed config; see bench/README.md, section "reencrypt". Only the
// report test and the benchmarks read them.
var (
	flagBlobs  = flag.Int("reencrypt.blobs", defaultConfig().Blobs, "state blobs in the store")
	flagSize   = flag.Int("reencrypt.size", defaultConfig().Size, "plaintext bytes per blob")
	flagRounds = flag.Int("reencrypt.rounds", defaultConfig().Rounds, "rounds of the report test")
)

// reportEnv gates TestReencryptReport so that `go test ./...` stays fast.
const reportEnv = "GK_BENCH"

// opensslBytes is the block size of the openssl reference: its largest
// default column, where per-call overhead is gone as it is for 1 MiB blobs.
const opensslBytes = 16384

type config struct {
	Blobs  int // blobs in the store
	Size   int // plaintext bytes per blob
	Rounds int // rounds of the report
}

func defaultConfig() config { return config{Blobs: 256, Size: 1 << 20, Rounds: 3} }

func configFromFlags() config {
	return config{Blobs: *flagBlobs, Size: *flagSize, Rounds: *flagRounds}
}

// Validate checks every field.
func (c config) Validate() error {
	switch {
	case c.Blobs < 1:
		return fmt.Errorf("reencrypt bench: blobs %d, want at least 1", c.Blobs)
	case c.Size < 0 || c.Size+gkcrypto.BlobOverhead > statestore.MaxObjectSize:
		return fmt.Errorf("reencrypt bench: size %d, want 0..%d", c.Size, statestore.MaxObjectSize-gkcrypto.BlobOverhead)
	case c.Rounds < 1:
		return fmt.Errorf("reencrypt bench: rounds %d, want at least 1", c.Rounds)
	}
	return nil
}

// keysFor returns a master key history of versions 0..n.
func keysFor(tb testing.TB, n int) reencrypt.MasterKeys {
	tb.Helper()
	r := rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'})
	var h reencrypt.MasterKeys
	for v := range uint32(n + 1) {
		k, err := gkcrypto.GenerateMasterKey(r, v)
		if err != nil {
			tb.Fatal(err)
		}
		h = append(h, k)
	}
	return h
}

// fill writes cfg.Blobs blobs at version 0 into every store, spread over two
// clusters and four apps as the app API names them.
func fill(tb testing.TB, cfg config, keys reencrypt.Keys, stores ...statestore.Store) {
	tb.Helper()
	rnd := rand.NewChaCha8([32]byte{1})
	pt := make([]byte, cfg.Size)
	for i := range cfg.Blobs {
		_, _ = rnd.Read(pt)
		cluster := uint64(1 + i%2)
		id := gkcrypto.BlobID{Cluster: cluster, Version: 0, App: fmt.Sprintf("app-%d", i%4), Name: fmt.Sprintf("state/%05d", i)}
		key, _ := keys.ClusterKey(cluster, 0)
		blob, err := gkcrypto.SealBlob(rnd, key, id, pt)
		if err != nil {
			tb.Fatal(err)
		}
		for _, s := range stores {
			if err := s.Put(context.Background(), reencrypt.ObjectName(id.Cluster, id.App, id.Name), blob); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// versioned is a store and the key version its blobs are at.
type versioned struct {
	name  string
	store statestore.Store
	v     uint32
}

// measured is a workload's rate and the cores it kept busy: the process's
// CPU time (user and system, every thread: workers, the store's writers,
// the kernel's copies into the page cache, the garbage collector) over the
// wall time.
type measured struct {
	rate  float64 // bytes per second
	cores float64 // 0 where the CPU time is not available
}

// timed runs fn and returns its wall time and the cores it used.
func timed(fn func()) (time.Duration, float64) {
	cpu0, start := cpuTime(), time.Now()
	fn()
	el, cpu := time.Since(start), cpuTime()-cpu0
	return el, cpu.Seconds() / el.Seconds()
}

// reencryptOnce runs job v→v+1 over s with workers and returns blob bytes
// per second.
func reencryptOnce(tb testing.TB, s *versioned, keys reencrypt.Keys, workers int, wantBlobs int) measured {
	tb.Helper()
	cfg := reencrypt.DefaultConfig()
	cfg.Workers = workers
	job := reencrypt.Job{From: s.v, To: s.v + 1, Range: reencrypt.All}
	var p reencrypt.Progress
	var err error
	el, cores := timed(func() { p, err = reencrypt.Run(context.Background(), s.store, keys, job, nil, cfg) })
	if err != nil || !p.Retirable() || p.Reencrypted != uint64(wantBlobs) {
		tb.Fatalf("%s: %+v, %v", s.name, p, err)
	}
	s.v++
	return measured{rate: float64(p.Bytes) / el.Seconds(), cores: cores}
}

// reference measures AES-256-GCM encryption, single-core and one process
// per core: openssl if installed, Go's crypto/cipher otherwise (always
// measured too, as the implementation the engine uses).
type reference struct {
	openssl string // path, or "" if missing
}

func newReference() reference {
	p, err := exec.LookPath("openssl")
	if err != nil {
		return reference{}
	}
	return reference{openssl: p}
}

// opensslRate runs `openssl speed -mr [-multi n] -evp aes-256-gcm -seconds 1
// -bytes 16384` and returns its bytes per second (summed over processes).
func (r reference) opensslRate(procs int) (float64, error) {
	args := []string{"speed", "-mr"}
	if procs > 1 {
		args = append(args, "-multi", strconv.Itoa(procs))
	}
	args = append(args, "-evp", "aes-256-gcm", "-seconds", "1", "-bytes", strconv.Itoa(opensslBytes))
	out, err := exec.Command(r.openssl, args...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("openssl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return parseOpenSSL(out)
}

// parseOpenSSL reads the last "+F:<n>:AES-256-GCM:<bytes/s>..." line of
// `openssl speed -mr` (with -multi, the last one is the sum).
func parseOpenSSL(out []byte) (float64, error) {
	rate := -1.0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(f) < 4 || f[0] != "+F" || !strings.EqualFold(f[2], "AES-256-GCM") {
			continue
		}
		v, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			return 0, fmt.Errorf("openssl output: %q: %w", sc.Text(), err)
		}
		rate = v
	}
	if rate <= 0 {
		return 0, errors.New("openssl output: no +F line for AES-256-GCM")
	}
	return rate, nil
}

// goGCMRate seals 16 KiB buffers with crypto/cipher AES-256-GCM on procs
// goroutines for d and returns the total bytes per second.
func goGCMRate(procs int, d time.Duration) float64 {
	var mu sync.Mutex
	var total int64
	var wg sync.WaitGroup
	start := time.Now()
	for range procs {
		wg.Go(func() {
			key := make([]byte, 32)
			block, _ := aes.NewCipher(key)
			aead, _ := cipher.NewGCM(block)
			pt := make([]byte, opensslBytes)
			out := make([]byte, 0, opensslBytes+aead.Overhead())
			nonce := make([]byte, aead.NonceSize())
			var n int64
			for time.Since(start) < d {
				for range 16 {
					out = aead.Seal(out[:0], nonce, pt, nil)
					n += opensslBytes
				}
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}

// atomicWriteRate writes n files of size bytes one after the other with
// atomicfile.Write (what statestore.Dir does per Put) and returns bytes per
// second: the disk's share of a re-encryption, without crypto or reads.
func atomicWriteRate(tb testing.TB, dir string, n, size int) measured {
	tb.Helper()
	buf := make([]byte, size)
	el, cores := timed(func() {
		for i := range n {
			if err := atomicfile.Write(filepath.Join(dir, fmt.Sprintf("w%05d", i)), buf, 0o600); err != nil {
				tb.Fatal(err)
			}
		}
	})
	return measured{rate: float64(n*size) / el.Seconds(), cores: cores}
}

// batchWriteRate writes n objects of size bytes into a statestore.Dir
// under dir with PutBatch, in batches of the engine's default
// MaxBatchBytes, and returns bytes per second: the disk's share of a
// re-encryption on the engine's batched path, without crypto or reads.
// Each round replaces the previous round's objects, as a re-encryption does.
func batchWriteRate(tb testing.TB, dir string, n, size int) measured {
	tb.Helper()
	d, err := statestore.OpenDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	buf := make([]byte, size)
	per := max(1, int(reencrypt.DefaultConfig().MaxBatchBytes)/max(size, 1))
	el, cores := timed(func() {
		for start := 0; start < n; start += per {
			var objs []statestore.Object
			for i := start; i < min(start+per, n); i++ {
				objs = append(objs, statestore.Object{Name: fmt.Sprintf("cluster-1/app/w%05d", i), Data: buf})
			}
			if err := d.PutBatch(context.Background(), objs); err != nil {
				tb.Fatal(err)
			}
		}
	})
	return measured{rate: float64(n*size) / el.Seconds(), cores: cores}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// TestReencryptReport prints the figures of bench/README.md, section
// "reencrypt". Each round runs the four workloads and the references one
// after the other, so they share the machine's time windows.
func TestReencryptReport(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the re-encryption benchmark report", reportEnv)
	}
	cfg := configFromFlags()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ncpu := runtime.NumCPU()
	keys := keysFor(t, 2*cfg.Rounds+4)
	dir, err := statestore.OpenDir(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	mem := newMemStore()
	fill(t, cfg, keys, dir, mem)
	disk := &versioned{name: "disk", store: dir}
	inmem := &versioned{name: "mem", store: mem}
	ref := newReference()

	blobBytes := cfg.Size + gkcrypto.BlobOverhead
	t.Logf("re-encryption throughput: %d blobs × %d bytes (%.1f MB of blobs), 2 clusters, 4 apps; disk = statestore.Dir in %s",
		cfg.Blobs, blobBytes, float64(cfg.Blobs*blobBytes)/1e6, filepath.Dir(dir.Root()))
	t.Logf("%s %s/%s, GOMAXPROCS=%d, NumCPU=%d; MB = 10^6 bytes; workload figures are MB of stored blob re-encrypted per second",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), ncpu)
	if ref.openssl == "" {
		t.Logf("openssl: not installed; the reference is Go's crypto/cipher AES-256-GCM (encrypt, %d-byte buffers)", opensslBytes)
	} else {
		v, _ := exec.Command(ref.openssl, "version").Output()
		t.Logf("reference: %s `openssl speed -mr -evp aes-256-gcm -seconds 1 -bytes %d` (encrypt only), and with -multi %d",
			strings.TrimSpace(string(v)), opensslBytes, ncpu)
	}

	type row struct {
		disk1, diskN, mem1, memN measured
		ref1, refN, go1, goN     float64
		write1, batch            measured
	}
	var rows []row
	writeDir, batchDir := t.TempDir(), filepath.Join(t.TempDir(), "batch")
	t.Logf("%-6s %8s %8s %8s %8s %10s %10s %9s %9s %8s %8s", "round",
		"disk×1", fmt.Sprintf("disk×%d", ncpu), "mem×1", fmt.Sprintf("mem×%d", ncpu),
		"ref×1", fmt.Sprintf("ref×%d", ncpu), "go-gcm×1", fmt.Sprintf("go-gcm×%d", ncpu), "write×1", "batch")
	for r := range cfg.Rounds {
		var w row
		w.disk1 = reencryptOnce(t, disk, keys, 1, cfg.Blobs)
		w.go1 = goGCMRate(1, 500*time.Millisecond)
		w.write1 = atomicWriteRate(t, writeDir, cfg.Blobs, blobBytes)
		w.batch = batchWriteRate(t, batchDir, cfg.Blobs, blobBytes)
		w.diskN = reencryptOnce(t, disk, keys, ncpu, cfg.Blobs)
		w.goN = goGCMRate(ncpu, 500*time.Millisecond)
		w.mem1 = reencryptOnce(t, inmem, keys, 1, cfg.Blobs)
		w.memN = reencryptOnce(t, inmem, keys, ncpu, cfg.Blobs)
		if ref.openssl != "" {
			if w.ref1, err = ref.opensslRate(1); err != nil {
				t.Fatal(err)
			}
			if w.refN, err = ref.opensslRate(ncpu); err != nil {
				t.Fatal(err)
			}
		} else {
			w.ref1, w.refN = w.go1, w.goN
		}
		rows = append(rows, w)
		t.Logf("%-6d %8.0f %8.0f %8.0f %8.0f %10.0f %10.0f %9.0f %9.0f %8.0f %8.0f", r+1,
			w.disk1.rate/1e6, w.diskN.rate/1e6, w.mem1.rate/1e6, w.memN.rate/1e6, w.ref1/1e6, w.refN/1e6,
			w.go1/1e6, w.goN/1e6, w.write1.rate/1e6, w.batch.rate/1e6)
		t.Logf("%-6s %8.2f %8.2f %8.2f %8.2f %10s %10s %9s %9s %8.2f %8.2f", "cores",
			w.disk1.cores, w.diskN.cores, w.mem1.cores, w.memN.cores, "", "", "", "", w.write1.cores, w.batch.cores)
	}
	col := func(f func(row) float64) float64 {
		var xs []float64
		for _, w := range rows {
			xs = append(xs, f(w))
		}
		return median(xs)
	}
	// Ratios are taken per round (same time window), then the median.
	d1 := col(func(w row) float64 { return w.disk1.rate / w.ref1 })
	m1 := col(func(w row) float64 { return w.mem1.rate / w.ref1 })
	dN := col(func(w row) float64 { return w.diskN.rate / w.refN })
	mN := col(func(w row) float64 { return w.memN.rate / w.refN })
	t.Logf("medians: disk×1 %.0f, disk×%d %.0f, mem×1 %.0f, mem×%d %.0f MB/s; ref×1 %.0f, ref×%d %.0f MB/s; write×1 %.0f, batch %.0f MB/s",
		col(func(w row) float64 { return w.disk1.rate })/1e6, ncpu, col(func(w row) float64 { return w.diskN.rate })/1e6,
		col(func(w row) float64 { return w.mem1.rate })/1e6, ncpu, col(func(w row) float64 { return w.memN.rate })/1e6,
		col(func(w row) float64 { return w.ref1 })/1e6, ncpu, col(func(w row) float64 { return w.refN })/1e6,
		col(func(w row) float64 { return w.write1.rate })/1e6, col(func(w row) float64 { return w.batch.rate })/1e6)
	t.Logf("cores used (CPU time ÷ wall time, medians): disk×1 %.2f, disk×%d %.2f, mem×1 %.2f, mem×%d %.2f, write×1 %.2f, batch %.2f",
		col(func(w row) float64 { return w.disk1.cores }), ncpu, col(func(w row) float64 { return w.diskN.cores }),
		col(func(w row) float64 { return w.mem1.cores }), ncpu, col(func(w row) float64 { return w.memN.cores }),
		col(func(w row) float64 { return w.write1.cores }), col(func(w row) float64 { return w.batch.cores }))
	t.Logf("per core, blob MB/s ÷ reference encrypt MB/s:      disk %.2f, mem %.2f (ceiling 0.5: a re-encryption is a decrypt and an encrypt)", d1, m1)
	t.Logf("per core, AES-GCM bytes (2 per blob byte) ÷ ref:    disk %.2f, mem %.2f (goal >= 0.8: met on disk %v, in memory %v)", 2*d1, 2*m1, 2*d1 >= 0.8, 2*m1 >= 0.8)
	if rows[0].disk1.cores > 0 {
		// The same, per CPU-second actually used: ×1 runs one worker, but
		// the store's writers, the kernel and the GC use more than a core.
		t.Logf("per CPU-second, AES-GCM bytes ÷ ref×1:              disk×1 %.2f, disk×%d %.2f, mem×1 %.2f, mem×%d %.2f",
			col(func(w row) float64 { return 2 * w.disk1.rate / w.disk1.cores / w.ref1 }), ncpu,
			col(func(w row) float64 { return 2 * w.diskN.rate / w.diskN.cores / w.ref1 }),
			col(func(w row) float64 { return 2 * w.mem1.rate / w.mem1.cores / w.ref1 }), ncpu,
			col(func(w row) float64 { return 2 * w.memN.rate / w.memN.cores / w.ref1 }))
	}
	t.Logf("all %d cores, AES-GCM bytes ÷ ref×%d:                disk %.2f, mem %.2f (goal >= 0.8: met on disk %v, in memory %v)", ncpu, ncpu, 2*dN, 2*mN, 2*dN >= 0.8, 2*mN >= 0.8)
	t.Logf("the disk alone, AES-GCM-equivalent bytes (2 per byte written) ÷ ref×1: write×1 %.2f, batch %.2f; ÷ ref×%d: batch %.2f",
		col(func(w row) float64 { return 2 * w.write1.rate / w.ref1 }), col(func(w row) float64 { return 2 * w.batch.rate / w.ref1 }),
		ncpu, col(func(w row) float64 { return 2 * w.batch.rate / w.refN }))
	t.Logf("disk×1 ÷ write×1 (the same bytes written durably by atomicfile alone, no crypto): %.2f; disk×%d ÷ batch (PutBatch alone): %.2f",
		col(func(w row) float64 { return w.disk1.rate / w.write1.rate }), ncpu, col(func(w row) float64 { return w.diskN.rate / w.batch.rate }))
	t.Logf("scaling ×%d cores: disk %.2f, mem %.2f, reference %.2f, go-gcm %.2f", ncpu,
		col(func(w row) float64 { return w.diskN.rate / w.disk1.rate }), col(func(w row) float64 { return w.memN.rate / w.mem1.rate }),
		col(func(w row) float64 { return w.refN / w.ref1 }), col(func(w row) float64 { return w.goN / w.go1 }))
}

// TestReencryptS3Report prints the figures of bench/README.md, section
// "reencrypt on S3": the same workload on statestore.Dir and on the S3
// store (internal/statestore/s3) against a versitygw the test starts on
// this machine (posix backend over a temp directory on the same disk).
// Each round runs the directory and the S3 workloads one after the other,
// ×1 and ×NumCPU workers, so that the ratios compare the same time window.
// GK_BENCH=1 and GK_S3=1 only.
func TestReencryptS3Report(t *testing.T) {
	if os.Getenv(reportEnv) != "1" {
		t.Skipf("set %s=1 to run the re-encryption benchmark report", reportEnv)
	}
	srv := s3test.Shared(t)
	cfg := configFromFlags()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ncpu := runtime.NumCPU()
	keys := keysFor(t, 4*cfg.Rounds+4)
	dir, err := statestore.OpenDir(filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	bucket := srv.NewStore(t, "bench")
	fill(t, cfg, keys, dir, bucket)
	disk := &versioned{name: "disk", store: dir}
	s3s := &versioned{name: "s3", store: bucket}
	blobBytes := cfg.Size + gkcrypto.BlobOverhead
	t.Logf("re-encryption throughput, directory vs S3: %d blobs × %d bytes (%.1f MB of blobs); disk = statestore.Dir in %s; s3 = statestore/s3 on versitygw at %s (posix backend in %s)",
		cfg.Blobs, blobBytes, float64(cfg.Blobs*blobBytes)/1e6, filepath.Dir(dir.Root()), srv.Endpoint, os.TempDir())
	t.Logf("%s %s/%s, GOMAXPROCS=%d, NumCPU=%d; MB/s of stored blob re-encrypted", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), ncpu)
	type row struct{ disk1, s31, diskN, s3N measured }
	var rows []row
	t.Logf("%-6s %8s %8s %8s %8s %10s %10s", "round", "disk×1", "s3×1", fmt.Sprintf("disk×%d", ncpu), fmt.Sprintf("s3×%d", ncpu), "s3÷disk×1", fmt.Sprintf("s3÷disk×%d", ncpu))
	for r := range cfg.Rounds {
		var w row
		// Alternate which store goes first, so neither always gets the
		// warmer (or the more loaded) half of the window.
		if r%2 == 0 {
			w.disk1 = reencryptOnce(t, disk, keys, 1, cfg.Blobs)
			w.s31 = reencryptOnce(t, s3s, keys, 1, cfg.Blobs)
			w.s3N = reencryptOnce(t, s3s, keys, ncpu, cfg.Blobs)
			w.diskN = reencryptOnce(t, disk, keys, ncpu, cfg.Blobs)
		} else {
			w.s31 = reencryptOnce(t, s3s, keys, 1, cfg.Blobs)
			w.disk1 = reencryptOnce(t, disk, keys, 1, cfg.Blobs)
			w.diskN = reencryptOnce(t, disk, keys, ncpu, cfg.Blobs)
			w.s3N = reencryptOnce(t, s3s, keys, ncpu, cfg.Blobs)
		}
		rows = append(rows, w)
		t.Logf("%-6d %8.0f %8.0f %8.0f %8.0f %10.2f %10.2f", r+1, w.disk1.rate/1e6, w.s31.rate/1e6, w.diskN.rate/1e6, w.s3N.rate/1e6,
			w.s31.rate/w.disk1.rate, w.s3N.rate/w.diskN.rate)
	}
	col := func(f func(row) float64) float64 {
		var xs []float64
		for _, w := range rows {
			xs = append(xs, f(w))
		}
		return median(xs)
	}
	t.Logf("medians: disk×1 %.0f, s3×1 %.0f, disk×%d %.0f, s3×%d %.0f MB/s; s3 ÷ disk (per round, then median): ×1 %.2f, ×%d %.2f",
		col(func(w row) float64 { return w.disk1.rate })/1e6, col(func(w row) float64 { return w.s31.rate })/1e6,
		ncpu, col(func(w row) float64 { return w.diskN.rate })/1e6, ncpu, col(func(w row) float64 { return w.s3N.rate })/1e6,
		col(func(w row) float64 { return w.s31.rate / w.disk1.rate }), ncpu, col(func(w row) float64 { return w.s3N.rate / w.diskN.rate }))
	if rows[0].disk1.cores > 0 {
		t.Logf("cores used by this process (the server's are not counted), medians: disk×1 %.2f, s3×1 %.2f, disk×%d %.2f, s3×%d %.2f",
			col(func(w row) float64 { return w.disk1.cores }), col(func(w row) float64 { return w.s31.cores }),
			ncpu, col(func(w row) float64 { return w.diskN.cores }), ncpu, col(func(w row) float64 { return w.s3N.cores }))
	}
}

// BenchmarkReencrypt: one iteration re-encrypts the whole store once
// (b.SetBytes: the stored blob bytes). The setup is not timed.
func BenchmarkReencrypt(b *testing.B) {
	cfg := configFromFlags()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	for _, kind := range []string{"mem", "disk"} {
		for _, workers := range []int{1, runtime.NumCPU()} {
			b.Run(fmt.Sprintf("%s/workers=%d", kind, workers), func(b *testing.B) {
				keys := keysFor(b, 64)
				var s statestore.Store = newMemStore()
				if kind == "disk" {
					d, err := statestore.OpenDir(filepath.Join(b.TempDir(), "state"))
					if err != nil {
						b.Fatal(err)
					}
					s = d
				}
				fill(b, cfg, keys, s)
				vs := &versioned{name: kind, store: s}
				b.SetBytes(int64(cfg.Blobs * (cfg.Size + gkcrypto.BlobOverhead)))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if vs.v == 64 {
						b.Fatal("out of key versions")
					}
					reencryptOnce(b, vs, keys, workers, cfg.Blobs)
				}
			})
		}
	}
}

// memStore is an in-memory statestore.Store: the engine without the disk.
type memStore struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

// Put copies data (the engine reuses its buffers, and the Store contract
// says the store keeps no reference), outside the lock, so that workers'
// Puts copy in parallel as a disk store's writes do.
func (s *memStore) Put(ctx context.Context, name string, data []byte) error {
	if err := statestore.ValidateName(name); err != nil {
		return err
	}
	c := slices.Clone(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = c
	return nil
}

// Get returns the stored slice itself: Put never modifies a stored slice in
// place, and the engine only reads it, so this is the copy a store avoids
// by reading from disk into a fresh buffer.
func (s *memStore) Get(ctx context.Context, name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", statestore.ErrNotFound, name)
	}
	return b, nil
}

func (s *memStore) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; !ok {
		return fmt.Errorf("%w: %s", statestore.ErrNotFound, name)
	}
	delete(s.m, name)
	return nil
}

func (s *memStore) List(ctx context.Context, prefix string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for n := range s.m {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// TestMain stops the S3 server TestReencryptS3Report may have started.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	s3test.Stop()
	os.Exit(code)
}
