package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// TestDevnetRotation is issue 5's acceptance run for an automatic rotation:
// on `gkd devnet --gatekeepers 3 --workers 2 --rotation-interval N
// --key-retention 5`, apps save a few hundred blobs through the workers'
// app APIs under master key v0; the chain starts a rotation, a gatekeeper
// proposes v1, the others seal and acknowledge it, it activates, the three
// gatekeepers re-encrypt their ranges of the shared state store, v0 is
// retired and erased. Every blob then reads back unchanged through its app,
// every blob in the store is under key version 1, and no sealed store of any
// pRuntime (master key histories, checkpoints) holds v0 or its cluster key.
func TestDevnetRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	start := time.Now()
	gkd := gkdBinary(t)
	home := t.TempDir()
	offset := e2etest.FreePortOffset(t, 0)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", 26657+offset)
	d := startDevnet(t, gkd, home, "--port-offset", strconv.Itoa(offset), "--block-time", "300ms", "--voting-period", "4s",
		"--gatekeepers", "3", "--workers", "2", "--rotation-interval", "60", "--key-retention", "5")
	waitForHeight(t, gkd, node, 1)
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(home, "workers.log")); err == nil {
				var lines []string
				for _, l := range strings.Split(string(b), "\n") {
					if strings.Contains(l, "rotation") || strings.Contains(l, "re-encrypt") || strings.Contains(l, "master key") || strings.Contains(l, "level=ERROR") {
						lines = append(lines, l)
					}
				}
				t.Logf("workers.log, rotation lines:\n%s", e2etest.Tail(strings.Join(lines, "\n"), 60))
			}
		}
	})

	var manifest struct {
		PRuntimes []struct {
			Name    string `json:"name"`
			RPC     string `json:"rpc"`
			AppAPI  string `json:"app_api"`
			DataDir string `json:"data_dir"`
		} `json:"pruntimes"`
	}
	eventually(t, 30*time.Second, "devnet.json with pRuntimes", func() bool {
		b, err := os.ReadFile(filepath.Join(home, "devnet.json"))
		return err == nil && json.Unmarshal(b, &manifest) == nil && len(manifest.PRuntimes) == 5
	})
	gks, workers := manifest.PRuntimes[:3], manifest.PRuntimes[3:]

	// Both workers hold cluster key v0.
	var cluster uint64
	for _, w := range workers {
		eventually(t, 120*time.Second, w.Name+" holding cluster key v0", func() bool {
			in, err := fetchInfo(w.RPC)
			if err != nil || in.Cluster == nil || len(in.Cluster.KeyVersions) == 0 {
				return false
			}
			cluster = in.Cluster.ID
			return true
		})
	}
	// v0's secret, while the gatekeepers hold only v0.
	v0 := unsealMasterV0(t, gks[0].DataDir)
	k0, err := crypto.MasterKeyFromSecret(0, v0)
	if err != nil {
		t.Fatal(err)
	}
	ck0 := k0.ClusterKey(cluster)

	// A few hundred blobs, bytes to tens of kilobytes, through both workers.
	const blobs = 300
	want := make(map[string][]byte, blobs)
	for i := range blobs {
		name := fmt.Sprintf("doc-%03d", i)
		data := make([]byte, 1+(i*i*37)%(48<<10))
		_, _ = rand.Read(data)
		appDo(t, http.MethodPut, workers[i%2].AppAPI+"/app/v1/state/demo/"+name, data, http.StatusNoContent)
		want[name] = data
	}
	t.Logf("saved %d blobs under v0 at %s", blobs, time.Since(start).Round(time.Second))

	// The rotation runs to the end: v1 active, v0 retired and erased.
	type masterKeys struct {
		MasterKeys []struct {
			RetiredHeight string `json:"retired_height"`
			ErasedHeight  string `json:"erased_height"`
		} `json:"master_keys"`
	}
	set := func(s string) bool { return s != "" && s != "0" }
	var keys masterKeys
	eventually(t, 120*time.Second, "v1 active", func() bool {
		gkdJSON(t, gkd, &keys, "q", "registry", "master-keys", "--node", node)
		return len(keys.MasterKeys) >= 2
	})
	t.Logf("v1 active at %s", time.Since(start).Round(time.Second))
	eventually(t, 120*time.Second, "v0 retired", func() bool {
		gkdJSON(t, gkd, &keys, "q", "registry", "master-keys", "--node", node)
		return set(keys.MasterKeys[0].RetiredHeight)
	})
	t.Logf("v0 retired at %s", time.Since(start).Round(time.Second))
	eventually(t, 60*time.Second, "v0 erased", func() bool {
		gkdJSON(t, gkd, &keys, "q", "registry", "master-keys", "--node", node)
		return set(keys.MasterKeys[0].ErasedHeight)
	})
	t.Logf("v0 erased at %s", time.Since(start).Round(time.Second))

	var rot struct {
		Rotation struct {
			Phase       string `json:"phase"`
			Gatekeepers []struct {
				Done     string `json:"done"`
				Total    string `json:"total"`
				Finished bool   `json:"finished"`
			} `json:"gatekeepers"`
		} `json:"rotation"`
	}
	gkdJSON(t, gkd, &rot, "q", "registry", "rotation", "--to-version", "1", "--node", node)
	total := 0
	for i, g := range rot.Rotation.Gatekeepers {
		done, _ := strconv.Atoi(g.Done)
		if !g.Finished || g.Done != g.Total {
			t.Fatalf("range %d: done %s of %s, finished %v", i, g.Done, g.Total, g.Finished)
		}
		total += done
	}
	if rot.Rotation.Phase != "ROTATION_PHASE_DONE" || total != blobs {
		t.Fatalf("rotation phase %s, %d objects in the ranges, want DONE and %d", rot.Rotation.Phase, total, blobs)
	}

	// Every blob reads back unchanged through its app, on both workers.
	for _, w := range workers {
		eventually(t, 30*time.Second, w.Name+" holding only cluster key v1", func() bool {
			in, err := fetchInfo(w.RPC)
			return err == nil && in.Cluster != nil && len(in.Cluster.KeyVersions) == 1 && in.Cluster.KeyVersions[0] == 1
		})
		for name, data := range want {
			if got := appGet(t, w.AppAPI+"/app/v1/state/demo/"+name); !bytes.Equal(got, data) {
				t.Fatalf("%s: %s changed over the rotation", w.Name, name)
			}
		}
	}
	d.interrupt(t)

	// Every stored blob is under key version 1.
	store, err := statestore.OpenDir(filepath.Join(home, devnetpkg.StateDir))
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List(context.Background(), "cluster-")
	if err != nil || len(names) != blobs {
		t.Fatalf("%d objects in the state store (%v), want %d", len(names), err, blobs)
	}
	for _, n := range names {
		b, err := store.Get(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if _, v, err := crypto.BlobKeyVersion(b); err != nil || v != 1 {
			t.Fatalf("%s is under key version %d (%v)", n, v, err)
		}
	}

	// No sealed store holds v0 or its cluster key.
	retired := [][]byte{v0, ck0[:]}
	for _, p := range manifest.PRuntimes {
		tee, err := pruntime.OpenSimTEE(p.DataDir, pruntime.DevnetMeasurement())
		if err != nil {
			t.Fatal(err)
		}
		if sealed, err := os.ReadFile(filepath.Join(p.DataDir, pruntime.MasterKeysFile)); err == nil {
			raw, err := tee.Unseal(protocol.ContextMasterKeyHistory, sealed)
			if err != nil {
				t.Fatal(err)
			}
			// u8 format || u32 n || n × (u32 version || 32-byte secret)
			for i := range int(binary.BigEndian.Uint32(raw[1:5])) {
				if v := binary.BigEndian.Uint32(raw[5+i*36:]); v == 0 {
					t.Fatalf("%s's master key history still holds version 0", p.Name)
				}
			}
			assertHoldsNone(t, p.Name+" master key history", raw, retired)
		}
		ckpt, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(p.DataDir, "checkpoints"), Keep: checkpoint.DefaultKeep}, tee)
		if err != nil {
			t.Fatal(err)
		}
		heights, err := ckpt.List()
		if err != nil || len(heights) == 0 {
			t.Fatalf("%s: no checkpoints (%v)", p.Name, err)
		}
		files, _ := filepath.Glob(filepath.Join(p.DataDir, "checkpoints", "*"))
		for _, f := range files {
			sealed, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := tee.Unseal(protocol.ContextCheckpoint, sealed)
			if err != nil {
				t.Fatalf("%s: %s does not unseal: %v", p.Name, f, err)
			}
			assertHoldsNone(t, p.Name+" "+filepath.Base(f), raw, retired)
		}
	}
	t.Logf("rotation of %d blobs verified in %s", blobs, time.Since(start).Round(time.Second))
}

// assertHoldsNone fails if plain holds any of secrets raw or base64 (the
// checkpoint's JSON encoding of bytes).
func assertHoldsNone(t *testing.T, what string, plain []byte, secrets [][]byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(plain, s) || bytes.Contains(plain, []byte(base64.StdEncoding.EncodeToString(s))) {
			t.Fatalf("%s holds a retired key", what)
		}
	}
}

func appGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}
