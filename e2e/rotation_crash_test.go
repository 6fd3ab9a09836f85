package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// objectSuffix is statestore.Dir's object file suffix.
const objectSuffix = "~obj"

// rotationCrashTrialsEnv runs the long variant of TestDevnetRotationCrash:
//
//	GK_ROTATION_CRASH_TRIALS=20 go test ./e2e -run TestDevnetRotationCrash -v -timeout 30m
const rotationCrashTrialsEnv = "GK_ROTATION_CRASH_TRIALS"

// TestDevnetRotationCrash is issue 5's crash test at the level of the whole
// system: on a devnet whose master key rotates on its own every few dozen
// blocks, apps save blobs of mixed sizes (a byte to 4 MiB). In each trial,
// once the gatekeepers are re-encrypting, the devnet process — chain,
// gatekeeper and worker pRuntimes, relayers — is killed with SIGKILL at a
// random point, then started again on the same home. After each restart
// the rotation completes (new version active, old one retired and erased,
// every range finished and covering every blob) and every blob reads back
// unchanged through its app under the new key. The default run does 2
// trials; GK_ROTATION_CRASH_TRIALS sets more (the issue asks for 20, about
// 30 s each). The kill points and the random seed are logged.
func TestDevnetRotationCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	trials := 2
	if s := os.Getenv(rotationCrashTrialsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", rotationCrashTrialsEnv, s)
		}
		trials = n
	}
	seed := uint64(time.Now().UnixNano())
	rng := mrand.New(mrand.NewPCG(seed, 0))
	t.Logf("%d trials, seed %d", trials, seed)

	start := time.Now()
	g := startGKDevnet(t, "--rotation-interval", "30", "--key-retention", "3")
	gkd, node := g.gkd, g.node
	gks, workers := g.gatekeepers(), g.workers()
	for _, w := range workers {
		eventually(t, 120*time.Second, w.Name+" holding a cluster key", func() bool {
			in, err := fetchInfo(w.RPC)
			return err == nil && in.Cluster != nil && len(in.Cluster.KeyVersions) > 0
		})
	}

	// Blobs of a byte to 4 MiB: 120 small ones and 8 large ones (~36 MiB in
	// all), so that a kill often lands while a range is being rewritten.
	want := map[string][]byte{}
	for i := range 128 {
		size := 1 + (i*i*37)%(64<<10)
		if i%16 == 0 {
			size = (1 + i%4) << 20
		}
		data := make([]byte, size)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("doc-%03d", i)
		appDo(t, http.MethodPut, workers[i%2].AppAPI+"/app/v1/state/demo/"+name, data, http.StatusNoContent)
		want[name] = data
	}
	t.Logf("saved %d blobs at %s", len(want), time.Since(start).Round(time.Second))

	kinds := map[string]int{}
	stateDir := filepath.Join(g.home, devnetpkg.StateDir)
	for k := 1; k <= trials; k++ {
		to := uint32(k)
		// Wait for the re-encryption phase of the rotation to v_to, then
		// for the first blob rewritten under v_to in the store, and kill at
		// a random point within the next 150 ms: mostly while the ranges
		// are part-way, sometimes after they finished.
		deadline := time.Now().Add(120 * time.Second)
		for !reencrypting(to, gks[0].RPC, gks[1].RPC, gks[2].RPC) {
			if time.Now().After(deadline) {
				t.Fatalf("trial %d: the gatekeepers never re-encrypted to v%d", k, to)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for at, _ := storeAt(t, stateDir, to); at == 0 && time.Now().Before(deadline); at, _ = storeAt(t, stateDir, to) {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(150 * time.Millisecond))))
		if err := g.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-g.done
		at, total := storeAt(t, stateDir, to)
		kind := "after the jobs"
		switch {
		case at == 0:
			kind = "before a job started"
		case at < total:
			kind = "mid-way"
		}
		kinds[kind]++
		t.Logf("trial %d: killed the devnet during the rotation to v%d (%s): %d of %d blobs at v%d", k, to, kind, at, total, to)
		g.restart(t)
		waitRotated(t, gkd, node, to, len(want), false, start)
		for _, w := range workers {
			eventually(t, 60*time.Second, fmt.Sprintf("%s holding cluster key v%d", w.Name, to), func() bool {
				in, err := fetchInfo(w.RPC)
				return err == nil && in.Cluster != nil && slices.Contains(in.Cluster.KeyVersions, to)
			})
		}
		for name, data := range want {
			if got := appGet(t, workers[k%2].AppAPI+"/app/v1/state/demo/"+name); !bytes.Equal(got, data) {
				t.Fatalf("trial %d: %s changed over the rotation to v%d", k, name, to)
			}
		}
	}
	g.interrupt(t)

	// Every blob in the store is under the last version.
	store, err := statestore.OpenDir(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List(context.Background(), "cluster-")
	if err != nil || len(names) != len(want) {
		t.Fatalf("%d objects in the state store (%v), want %d", len(names), err, len(want))
	}
	for _, n := range names {
		b, err := store.Get(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if _, v, err := crypto.BlobKeyVersion(b); err != nil || v != uint32(trials) {
			t.Fatalf("%s is under key version %d (%v), want %d", n, v, err, trials)
		}
	}
	t.Logf("%d kills in the re-encryption phase (%v), every rotation completed and every blob verified in %s",
		trials, kinds, time.Since(start).Round(time.Second))
}

// reencrypting reports whether any of the gatekeepers is in the
// re-encryption phase of the rotation to version to (waiting for the new
// cluster keys, running its job, or reporting it).
func reencrypting(to uint32, urls ...string) bool {
	for _, u := range urls {
		if in, err := fetchInfo(u); err == nil && in.Rotation != nil && in.Rotation.To == to && in.Rotation.Phase == "reencrypting" {
			return true
		}
	}
	return false
}

// storeAt counts the blobs in the devnet's state store directory whose
// header names key version v, reading each object file's header directly
// (the gatekeepers keep writing while it runs; a file replaced under it is
// read either whole before or whole after).
func storeAt(t *testing.T, dir string, v uint32) (at, total int) {
	t.Helper()
	var hdr [13]byte
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, objectSuffix) || !strings.Contains(p, "cluster-") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil // renamed away meanwhile
		}
		defer f.Close()
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			return nil
		}
		total++
		if binary.BigEndian.Uint32(hdr[9:13]) == v {
			at++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return at, total
}
