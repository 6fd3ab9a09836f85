package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
)

// TestDevnetRotationCorruptBlob is issue 5's fault test: a blob corrupted in
// the state store before a rotation is reported by name on chain and holds
// back the retirement of the old version; nothing is skipped silently.
// Once its app deletes it, the gatekeeper's retry finds nothing left to
// protect, the range finishes, and the old version is retired and erased;
// every other blob reads back unchanged.
func TestDevnetRotationCorruptBlob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	start := time.Now()
	g := startGKDevnet(t, "--rotation-interval", "100", "--key-retention", "3")
	g.showWorkerLogOnFailure(t, "rotation", "rotation", "re-encrypt")
	workers := g.workers()
	object, want := corruptOneBlobBeforeRotation(t, g)

	// The rotation runs; the corrupted blob is reported by name and v0 is
	// not retired.
	eventually(t, 120*time.Second, "the corrupted blob reported by name", func() bool {
		for _, gk := range rotationView(t, g).Gatekeepers {
			if gk.Failed == "1" && slices.Contains(gk.FailedNames, object) {
				return true
			}
		}
		return false
	})
	t.Logf("%s reported failed at %s", object, time.Since(start).Round(time.Second))
	time.Sleep(3 * time.Second) // a few blocks: still not retired
	if r := rotationView(t, g); r.Phase != "ROTATION_PHASE_REENCRYPTING" || r.RetiredHeight != "" && r.RetiredHeight != "0" {
		t.Fatalf("with a failed blob the rotation is %s, retired at %q", r.Phase, r.RetiredHeight)
	}
	// Its app deletes it; the retry finishes the range and v0 goes.
	appDo(t, http.MethodDelete, workers[0].AppAPI+"/app/v1/state/demo/"+corruptedBlob, nil, http.StatusNoContent)
	eventually(t, 90*time.Second, "v0 retired and erased", func() bool {
		return rotationView(t, g).Phase == "ROTATION_PHASE_DONE"
	})
	t.Logf("v0 erased at %s", time.Since(start).Round(time.Second))
	for _, w := range workers {
		eventually(t, 30*time.Second, w.Name+" holding cluster key v1", func() bool {
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

// rotationView is `gkd q gatekeeper rotation` of the first rotation, or its
// zero value before the rotation starts.
type rotationResp struct {
	Phase         string `json:"phase"`
	RetiredHeight string `json:"retired_height"`
	Gatekeepers   []struct {
		Failed      string   `json:"failed"`
		FailedNames []string `json:"failed_names"`
	} `json:"gatekeepers"`
}

func rotationView(t *testing.T, g *gkDevnet) rotationResp {
	t.Helper()
	out, err := execOutput(g.gkd, "q", "gatekeeper", "rotation", "--to-version", "1", "--node", g.node, "-o", "json")
	if err != nil {
		return rotationResp{} // none yet: the query fails
	}
	var resp struct {
		Rotation rotationResp `json:"rotation"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("rotation query: %v: %s", err, out)
	}
	return resp.Rotation
}

// corruptedBlob is the blob corruptOneBlobBeforeRotation corrupts.
const corruptedBlob = "doc-013"

// corruptOneBlobBeforeRotation waits for every worker's cluster key, saves
// 40 blobs (1 B to ~3.8 KiB) through the workers' app APIs, and corrupts
// one of them on disk before the devnet's automatic rotation starts. It
// returns the corrupted object's name and the blobs that must
// read back (all but the corrupted one).
func corruptOneBlobBeforeRotation(t *testing.T, g *gkDevnet) (object string, want map[string][]byte) {
	t.Helper()
	var cluster uint64
	workers := g.workers()
	for _, w := range workers {
		eventually(t, 120*time.Second, w.Name+" holding a cluster key", func() bool {
			in, err := fetchInfo(w.RPC)
			if err != nil || in.Cluster == nil || len(in.Cluster.KeyVersions) == 0 {
				return false
			}
			cluster = in.Cluster.ID
			return true
		})
	}
	want = map[string][]byte{}
	for i := range 40 {
		data := make([]byte, 1+i*97)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("doc-%03d", i)
		appDo(t, http.MethodPut, workers[i%2].AppAPI+"/app/v1/state/demo/"+name, data, http.StatusNoContent)
		want[name] = data
	}
	object = fmt.Sprintf("cluster-%d/demo/%s", cluster, corruptedBlob)
	if r := rotationView(t, g); r.Phase != "" {
		t.Fatalf("the rotation started (%s) before the test corrupted a blob; raise --rotation-interval", r.Phase)
	}
	path := filepath.Join(g.home, devnetpkg.StateDir, filepath.FromSlash(object)+objectSuffix)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 0x01
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	delete(want, corruptedBlob)
	return object, want
}
