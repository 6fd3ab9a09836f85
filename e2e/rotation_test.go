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
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// TestDevnetRotation is issue 5's acceptance run: on `gkd devnet
// --gatekeepers 3 --workers 2 --rotation-interval N --key-retention 5`, apps
// save a few hundred blobs through the workers' app APIs under master key
// v0. The chain starts a rotation on its own: a gatekeeper proposes v1, the
// others seal and acknowledge it, it activates, the three gatekeepers
// re-encrypt their ranges of the shared state store, v0 is retired and
// erased. Then governance rotates v1 to v2 the same way. After each, every
// blob reads back unchanged through its app; at the end every blob in the
// store is under key version 2, and no sealed store of any pRuntime (master
// key histories, checkpoints) holds v0, v1 or their cluster keys.
func TestDevnetRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	start := time.Now()
	g := startGKDevnet(t, "--rotation-interval", "100", "--key-retention", "5")
	g.showWorkerLogOnFailure(t, "rotation", "rotation", "re-encrypt", "master key")
	gkd, home, node := g.gkd, g.home, g.node
	gks, workers := g.gatekeepers(), g.workers()

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

	// The automatic rotation v0 -> v1, then a governance one v1 -> v2,
	// each to the end: the new version active, the old retired and erased,
	// every range finished, every blob readable unchanged by its app.
	retired := [][]byte{v0, ck0[:]}
	for to := uint32(1); to <= 2; to++ {
		if to == 2 {
			// v1's secret and cluster key, while the gatekeepers hold only v1.
			v1 := unsealHistory(t, gks[0].DataDir)[1]
			k1, err := crypto.MasterKeyFromSecret(1, v1)
			if err != nil {
				t.Fatal(err)
			}
			ck1 := k1.ClusterKey(cluster)
			retired = append(retired, v1, ck1[:])
			gkdRun(t, gkd, "tx", "gatekeeper", "rotate-master-key", "--home", home, "--from", "validator", "--deposit", "10000000stake",
				"--title", "rotate the master key", "--summary", "e2e: rotate by governance", "--fees", "2000stake", "-y")
			eventually(t, 20*time.Second, "proposal 2", func() bool {
				var props struct {
					Proposals []json.RawMessage `json:"proposals"`
				}
				gkdJSON(t, gkd, &props, "q", "gov", "proposals", "--home", home)
				return len(props.Proposals) == 2
			})
			gkdRun(t, gkd, "tx", "gov", "vote", "2", "yes", "--home", home, "--from", "validator", "--fees", "2000stake", "-y")
		}
		waitRotated(t, gkd, node, to, blobs, to == 2, start)
		for _, w := range workers {
			eventually(t, 30*time.Second, fmt.Sprintf("%s holding only cluster key v%d", w.Name, to), func() bool {
				in, err := fetchInfo(w.RPC)
				return err == nil && in.Cluster != nil && len(in.Cluster.KeyVersions) == 1 && in.Cluster.KeyVersions[0] == to
			})
			for name, data := range want {
				if got := appGet(t, w.AppAPI+"/app/v1/state/demo/"+name); !bytes.Equal(got, data) {
					t.Fatalf("%s: %s changed over the rotation to v%d", w.Name, name, to)
				}
			}
		}
	}
	g.interrupt(t)

	// Every stored blob is under key version 2.
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
		if _, v, err := crypto.BlobKeyVersion(b); err != nil || v != 2 {
			t.Fatalf("%s is under key version %d (%v)", n, v, err)
		}
	}

	// No sealed store holds v0, v1 or their cluster keys.
	for _, p := range g.manifest.PRuntimes {
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
				if v := binary.BigEndian.Uint32(raw[5+i*36:]); v != 2 {
					t.Fatalf("%s's master key history holds version %d", p.Name, v)
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
	// No key of the run, retired or not, in any log.
	secrets := slices.Clone(retired)
	v2 := unsealHistory(t, gks[0].DataDir)[2]
	k2, err := crypto.MasterKeyFromSecret(2, v2)
	if err != nil {
		t.Fatal(err)
	}
	ck2 := k2.ClusterKey(cluster)
	secrets = append(secrets, v2, ck2[:])
	assertNoSecretsInLogs(t, home, g.out.String(), secrets)
	t.Logf("rotation of %d blobs verified in %s", blobs, time.Since(start).Round(time.Second))
}

// waitRotated waits until the rotation to version to has ended: to active,
// to-1 retired and erased, every range finished, the ranges covering all
// blobs, started by governance or not as governance says.
func waitRotated(t *testing.T, gkd, node string, to uint32, blobs int, governance bool, start time.Time) {
	t.Helper()
	var keys struct {
		MasterKeys []struct {
			RetiredHeight string `json:"retired_height"`
			ErasedHeight  string `json:"erased_height"`
		} `json:"master_keys"`
	}
	set := func(s string) bool { return s != "" && s != "0" }
	eventually(t, 120*time.Second, fmt.Sprintf("v%d active", to), func() bool {
		gkdJSON(t, gkd, &keys, "q", "gatekeeper", "master-keys", "--node", node)
		return len(keys.MasterKeys) > int(to)
	})
	t.Logf("v%d active at %s", to, time.Since(start).Round(time.Second))
	for deadline := time.Now().Add(120 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		gkdJSON(t, gkd, &keys, "q", "gatekeeper", "master-keys", "--node", node)
		if set(keys.MasterKeys[to-1].RetiredHeight) && set(keys.MasterKeys[to-1].ErasedHeight) {
			break
		}
		if time.Now().After(deadline) {
			// What holds retirement back: ranges, failures, unacked workers.
			out, err := execOutput(gkd, "q", "gatekeeper", "rotation", "--to-version", fmt.Sprint(to), "--node", node)
			t.Fatalf("timed out after 2m waiting for v%d retired and erased; rotation (%v):\n%s", to-1, err, out)
		}
	}
	t.Logf("v%d erased at %s", to-1, time.Since(start).Round(time.Second))
	var rot struct {
		Rotation struct {
			Phase        string `json:"phase"`
			ByGovernance bool   `json:"by_governance"`
			Gatekeepers  []struct {
				Done     string `json:"done"`
				Total    string `json:"total"`
				Finished bool   `json:"finished"`
			} `json:"gatekeepers"`
		} `json:"rotation"`
	}
	gkdJSON(t, gkd, &rot, "q", "gatekeeper", "rotation", "--to-version", fmt.Sprint(to), "--node", node)
	total := 0
	for i, g := range rot.Rotation.Gatekeepers {
		done, _ := strconv.Atoi(g.Done)
		if !g.Finished || g.Done != g.Total {
			t.Fatalf("rotation to v%d, range %d: done %s of %s, finished %v", to, i, g.Done, g.Total, g.Finished)
		}
		total += done
	}
	if rot.Rotation.Phase != "ROTATION_PHASE_DONE" || total != blobs || rot.Rotation.ByGovernance != governance {
		t.Fatalf("rotation to v%d: phase %s, %d objects in the ranges (want DONE and %d), by governance %v",
			to, rot.Rotation.Phase, total, blobs, rot.Rotation.ByGovernance)
	}
}

// unsealHistory reads a gatekeeper's sealed master key history (sim TEE)
// and returns its secrets by version.
func unsealHistory(t *testing.T, dataDir string) map[uint32][]byte {
	t.Helper()
	tee, err := pruntime.OpenSimTEE(dataDir, pruntime.DevnetMeasurement())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(filepath.Join(dataDir, pruntime.MasterKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tee.Unseal(protocol.ContextMasterKeyHistory, sealed)
	if err != nil {
		t.Fatal(err)
	}
	// u8 format || u32 n || n × (u32 version || 32-byte secret)
	out := map[uint32][]byte{}
	for i := range int(binary.BigEndian.Uint32(raw[1:5])) {
		e := raw[5+i*36 : 5+(i+1)*36]
		out[binary.BigEndian.Uint32(e[:4])] = bytes.Clone(e[4:])
	}
	return out
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
