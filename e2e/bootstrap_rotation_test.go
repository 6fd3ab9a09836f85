package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
)

// TestDevnetBootstrapDuringRotation is issue 12 point 6's run: a gatekeeper
// bootstraps from proven state in the middle of a rotation, past the
// ingress entries that started it, took the proposal and assigned it its
// range, and still finishes its part. A blob corrupted on disk holds that
// gatekeeper's range back (as in TestDevnetRotationCorruptBlob) until the
// rotation's entries are pruned (--ingress-retention 20); the devnet stops,
// that gatekeeper loses every checkpoint (it keeps its sealed identity and
// master key history), and the devnet starts again. The gatekeeper
// bootstraps, learns the rotation and its range from the rotation record,
// and, once the app deleted the bad blob, finishes the range: the old
// version is retired and erased, and every other blob reads back.
func TestDevnetBootstrapDuringRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	start := time.Now()
	g := startGKDevnet(t, "--rotation-interval", "100", "--key-retention", "3", "--ingress-retention", "20")
	g.showWorkerLogOnFailure(t, "bootstrap", "bootstrap", "rotation", "re-encrypt")
	workers := g.workers()
	object, want := corruptOneBlobBeforeRotation(t, g)

	// The gatekeeper whose range holds the bad blob reports it.
	var late devnetpkg.PRuntime
	eventually(t, 120*time.Second, "the corrupted blob reported by name", func() bool {
		for _, gk := range rotationView(t, g).Gatekeepers {
			if gk.Failed == "1" && slices.Contains(gk.FailedNames, object) {
				out := gkdRun(t, g.gkd, "q", "gatekeeper", "rotation", "--to-version", "1", "--node", g.node, "-o", "json")
				late = gatekeeperReporting(t, g, out, object)
				return true
			}
		}
		return false
	})
	t.Logf("%s reported failed by %s at %s", object, late.Name, time.Since(start).Round(time.Second))

	// Until every entry up to now (the rotation's start, proposal and
	// activation among them) is pruned.
	ingress := func() (first, next uint64) {
		var q struct {
			FirstIndex string `json:"first_index"`
			NextIndex  string `json:"next_index"`
		}
		gkdJSON(t, g.gkd, &q, "q", "mq", "ingress", "0", "--node", g.node)
		first, _ = strconv.ParseUint(q.FirstIndex, 10, 64)
		next, _ = strconv.ParseUint(q.NextIndex, 10, 64)
		return first, next
	}
	_, seen := ingress()
	eventually(t, 60*time.Second, "the rotation's entries pruned", func() bool {
		first, _ := ingress()
		return first >= seen
	})
	g.interrupt(t)
	if err := os.RemoveAll(filepath.Join(late.DataDir, "checkpoints")); err != nil {
		t.Fatal(err)
	}
	g.restart(t)
	eventually(t, 90*time.Second, late.Name+" bootstrapped into the rotation", func() bool {
		in, err := fetchInfo(late.RPC)
		return err == nil && in.Rotation != nil && in.Rotation.Phase == "reencrypting"
	})
	logs, err := os.ReadFile(filepath.Join(g.home, "workers.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logs), "bootstrap: master key rotation running") {
		t.Fatal("no bootstrap into the rotation in workers.log")
	}
	t.Logf("%s bootstrapped at %s", late.Name, time.Since(start).Round(time.Second))

	// Its app deletes the bad blob; the bootstrapped gatekeeper's retry
	// finishes the range and v0 goes.
	appDo(t, http.MethodDelete, workers[0].AppAPI+"/app/v1/state/demo/"+corruptedBlob, nil, http.StatusNoContent)
	eventually(t, 120*time.Second, "v0 retired and erased", func() bool {
		return rotationView(t, g).Phase == "ROTATION_PHASE_DONE"
	})
	t.Logf("v0 erased at %s", time.Since(start).Round(time.Second))
	for _, w := range workers {
		eventually(t, 60*time.Second, w.Name+" holding cluster key v1", func() bool {
			in, err := fetchInfo(w.RPC)
			return err == nil && in.Cluster != nil && slices.Equal(in.Cluster.KeyVersions, []uint32{1})
		})
		for name, data := range want {
			if got := appGet(t, w.AppAPI+"/app/v1/state/demo/"+name); !bytes.Equal(got, data) {
				t.Fatalf("%s: %s changed over the rotation", w.Name, name)
			}
		}
	}
}

// gatekeeperReporting returns the devnet gatekeeper whose row of the
// rotation query out names object among its failures.
func gatekeeperReporting(t *testing.T, g *gkDevnet, out []byte, object string) devnetpkg.PRuntime {
	t.Helper()
	var resp struct {
		Rotation struct {
			Gatekeepers []struct {
				IdentityKey string   `json:"identity_key"`
				FailedNames []string `json:"failed_names"`
			} `json:"gatekeepers"`
		} `json:"rotation"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	for _, row := range resp.Rotation.Gatekeepers {
		if !slices.Contains(row.FailedNames, object) {
			continue
		}
		id, err := base64.StdEncoding.DecodeString(row.IdentityKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, gk := range g.gatekeepers() {
			if in, err := fetchInfo(gk.RPC); err == nil && in.IdentityKey == hex.EncodeToString(id) {
				return gk
			}
		}
	}
	t.Fatalf("no gatekeeper reports %s", object)
	return devnetpkg.PRuntime{}
}
