package checkpoint_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

var benchSizes = []struct {
	name string
	n    int
}{
	{"1MiB", 1 << 20},
	{"64MiB", 64 << 20},
}

// BenchmarkSave measures Save against a reference in the same run: the same
// bytes written atomically (temp file, write, fsync, rename, fsync dir)
// without sealing or framing. Their ratio is what sealing and the format
// cost; most of both is the disk's fsync.
func BenchmarkSave(b *testing.B) {
	for _, size := range benchSizes {
		payload := payloadFor(1, size.n)
		b.Run(size.name+"/checkpoint", func(b *testing.B) {
			f := newFixture(b, 2)
			b.SetBytes(int64(size.n))
			var h uint64
			for b.Loop() {
				h++
				if err := f.store.Save(h, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(size.name+"/reference-atomic-write", func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(int64(size.n))
			for b.Loop() {
				if err := atomicWrite(dir, "ref", payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(size.name+"/reference-seal", func(b *testing.B) {
			e := openTEE(b, b.TempDir(), measurementA)
			b.SetBytes(int64(size.n))
			for b.Loop() {
				if _, err := e.Seal(protocol.ContextCheckpoint, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLatest measures Latest (read, unseal, digest, checks) against
// reading the same number of bytes with os.ReadFile.
func BenchmarkLatest(b *testing.B) {
	for _, size := range benchSizes {
		payload := payloadFor(1, size.n)
		b.Run(size.name+"/checkpoint", func(b *testing.B) {
			f := newFixture(b, 2)
			if err := f.store.Save(1, payload); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size.n))
			for b.Loop() {
				if _, _, err := f.store.Latest(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(size.name+"/reference-read", func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "ref")
			if err := os.WriteFile(path, payload, 0o600); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size.n))
			for b.Loop() {
				if _, err := os.ReadFile(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func atomicWrite(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
