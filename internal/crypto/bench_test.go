package crypto_test

import (
	"crypto/hpke"
	"testing"
	"time"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

// BenchmarkAppKey reports derivations per second; workers derive app keys on
// request, and the target is ≥ 50,000/s per core.
func BenchmarkAppKey(b *testing.B) {
	cluster := testMaster(b, 3).ClusterKey(7)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gkcrypto.AppKey(cluster, "app-1", "state", "v1"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "derivations/s")
}

func BenchmarkClusterKey(b *testing.B) {
	k := testMaster(b, 3)
	for b.Loop() {
		k.ClusterKey(7)
	}
}

func BenchmarkBeacon(b *testing.B) {
	k := testMaster(b, 3)
	for b.Loop() {
		if _, err := k.Beacon(testChainID, 100); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRawSeal(b *testing.B) {
	priv := testReceiveKey(b, 0x42)
	info, err := testInfo(priv).Encode()
	if err != nil {
		b.Fatal(err)
	}
	pt := testMasterSecret()
	for b.Loop() {
		if _, err := hpke.Seal(priv.PublicKey(), hpke.HKDFSHA256(), hpke.AES256GCM(), info, pt); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSealTo(b *testing.B) {
	priv := testReceiveKey(b, 0x42)
	info := testInfo(priv)
	pt := testMasterSecret()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gkcrypto.SealTo(info.Recipient, info, pt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealTo compares SealTo (receive key parsing, info encoding,
// checks, seal) with a raw hpke.Seal of the same plaintext to the same key
// under the same suite and info. The "ratio" sub-benchmark interleaves the
// two in each iteration, so load on a shared machine affects both alike, and
// reports SealTo's time over hpke.Seal's as x-raw.
func BenchmarkSealTo(b *testing.B) {
	b.Run("raw-hpke.Seal", benchRawSeal)
	b.Run("SealTo", benchSealTo)
	b.Run("ratio", func(b *testing.B) {
		priv := testReceiveKey(b, 0x42)
		info := testInfo(priv)
		infoBytes, err := info.Encode()
		if err != nil {
			b.Fatal(err)
		}
		pt := testMasterSecret()
		raw := func() {
			if _, err := hpke.Seal(priv.PublicKey(), hpke.HKDFSHA256(), hpke.AES256GCM(), infoBytes, pt); err != nil {
				b.Fatal(err)
			}
		}
		ours := func() {
			if _, err := gkcrypto.SealTo(info.Recipient, info, pt); err != nil {
				b.Fatal(err)
			}
		}
		var tRaw, tOurs time.Duration
		i := 0
		for b.Loop() {
			first, second, d1, d2 := raw, ours, &tRaw, &tOurs
			if i%2 == 1 { // alternate the order so neither always runs warm
				first, second, d1, d2 = ours, raw, &tOurs, &tRaw
			}
			t0 := time.Now()
			first()
			t1 := time.Now()
			second()
			*d1 += t1.Sub(t0)
			*d2 += time.Since(t1)
			i++
		}
		b.ReportMetric(float64(tOurs)/float64(tRaw), "x-raw")
		b.ReportMetric(float64(tRaw.Nanoseconds())/float64(b.N), "raw-ns/op")
		b.ReportMetric(float64(tOurs.Nanoseconds())/float64(b.N), "SealTo-ns/op")
	})
}

func BenchmarkOpen(b *testing.B) {
	priv := testReceiveKey(b, 0x42)
	info := testInfo(priv)
	sealed, err := gkcrypto.SealTo(info.Recipient, info, testMasterSecret())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := gkcrypto.Open(priv, info, sealed); err != nil {
			b.Fatal(err)
		}
	}
}
