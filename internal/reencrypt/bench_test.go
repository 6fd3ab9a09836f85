package reencrypt_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/reencrypt"
)

// BenchmarkRun re-encrypts 64 blobs of 256 KiB in memory per iteration
// (b.SetBytes: stored blob bytes). bench/reencrypt has the whole-system
// figures, on disk and against openssl.
func BenchmarkRun(b *testing.B) {
	for _, workers := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			store := newMemStore()
			const blobs, size = 64, 256 << 10
			rnd := testRand()
			pt := make([]byte, size)
			for i := range blobs {
				putBlob(b, store, reencrypt.ObjectName(uint64(i%2), "app", fmt.Sprint(i)), 0, pt, rnd)
			}
			cfg := reencrypt.DefaultConfig()
			cfg.Workers = workers
			b.SetBytes(blobs * (size + gkcrypto.BlobOverhead))
			v := uint32(0)
			for b.Loop() {
				if v == maxTestVersion {
					b.Fatal("out of test key versions")
				}
				job := reencrypt.Job{From: v, To: v + 1, Range: reencrypt.All}
				if p, err := reencrypt.Run(context.Background(), store, testKeys(b), job, nil, cfg); err != nil || p.Reencrypted != blobs {
					b.Fatalf("%+v, %v", p, err)
				}
				v++
			}
		})
	}
}
