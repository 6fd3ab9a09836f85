package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// The two liveness tests of issue 12 (points 4 and 5). Each kills the
// devnet process (SIGKILL: every pRuntime and relayer of the devnet runs
// in it) and restarts it with one pRuntime's relayer off (--no-relayer) or
// one gatekeeper not started at all (--down).

// rotationRows is `gkd q gatekeeper rotation --to-version 1` with the fields
// these tests read.
type rotationRows struct {
	Phase       string `json:"phase"`
	SweepHeight string `json:"sweep_height"`
	Gatekeepers []struct {
		IdentityKey   string `json:"identity_key"` // base64
		Assignee      string `json:"assignee"`     // base64
		Reassignments int    `json:"reassignments"`
		Finished      bool   `json:"finished"`
	} `json:"gatekeepers"`
	WorkerAcks []string `json:"worker_acks"`
}

func rotationRowsView(t *testing.T, g *gkDevnet) rotationRows {
	t.Helper()
	out, err := execOutput(g.gkd, "q", "gatekeeper", "rotation", "--to-version", "1", "--node", g.node, "-o", "json")
	if err != nil {
		return rotationRows{}
	}
	var resp struct {
		Rotation rotationRows `json:"rotation"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("rotation query: %v: %s", err, out)
	}
	return resp.Rotation
}

// rotateByGovernance submits and passes the devnet's second proposal: a
// master key rotation.
func rotateByGovernance(t *testing.T, g *gkDevnet) {
	t.Helper()
	gkdRun(t, g.gkd, "tx", "gatekeeper", "rotate-master-key", "--home", g.home, "--from", "validator", "--deposit", "10000000stake",
		"--title", "rotate the master key", "--summary", "e2e: rotate by governance", "--fees", "2000stake", "-y")
	eventually(t, 20*time.Second, "proposal 2", func() bool {
		var props struct {
			Proposals []json.RawMessage `json:"proposals"`
		}
		out, err := execOutput(g.gkd, "q", "gov", "proposals", "--home", g.home, "-o", "json")
		return err == nil && json.Unmarshal(out, &props) == nil && len(props.Proposals) == 2
	})
	gkdRun(t, g.gkd, "tx", "gov", "vote", "2", "yes", "--home", g.home, "--from", "validator", "--fees", "2000stake", "-y")
}

// kill SIGKILLs the devnet process and waits for it.
func (g *gkDevnet) kill(t *testing.T) {
	t.Helper()
	if err := g.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-g.done
}

// restartWith restarts the devnet with extra flags for this run only.
func (g *gkDevnet) restartWith(t *testing.T, extra ...string) {
	t.Helper()
	base := g.args
	g.args = append(slices.Clone(base), extra...)
	g.restart(t)
	g.args = base
}

func putBlobs(t *testing.T, base, prefix string, n int, want map[string][]byte) {
	t.Helper()
	for i := range n {
		data := make([]byte, 1+i*131)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("%s-%03d", prefix, i)
		appDo(t, http.MethodPut, base+"/app/v1/state/demo/"+name, data, http.StatusNoContent)
		want[name] = data
	}
}

// TestDevnetRotationLaggingWorker is issue 12 point 4: a worker whose
// relayer is stopped through a whole rotation does not see its grant of
// the new cluster key, and its app keeps saving state under the old
// version after the gatekeepers verified their ranges. Before the fix the
// old version was retired and erased meanwhile, and those blobs were lost
// once the worker caught up. Now the chain waits for the worker's
// acknowledgement of the new version, sweeps the ranges once more, and
// only then retires: after the relayer is back and the rotation ends with
// the erasure, every blob reads back from both workers.
func TestDevnetRotationLaggingWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	start := time.Now()
	g := startGKDevnet(t, "--key-retention", "3")
	g.showWorkerLogOnFailure(t, "rotation", "rotation", "re-encrypt", "sweep", "cluster key")
	workers := g.workers()
	for _, w := range workers {
		eventually(t, 120*time.Second, w.Name+" holding a cluster key", func() bool {
			in, err := fetchInfo(w.RPC)
			return err == nil && in.Cluster != nil && len(in.Cluster.KeyVersions) > 0
		})
	}
	want := map[string][]byte{}
	putBlobs(t, workers[0].AppAPI, "early-0", 10, want)
	putBlobs(t, workers[1].AppAPI, "early-1", 10, want)

	// worker-1's relayer stops: its pRuntime serves its app but falls
	// behind the chain. A rotation runs to the end of re-encryption.
	g.kill(t)
	g.restartWith(t, "--no-relayer", workers[1].Name)
	rotateByGovernance(t, g)
	eventually(t, 90*time.Second, "every range verified (or v0 retired)", func() bool {
		r := rotationRowsView(t, g)
		if r.Phase == "ROTATION_PHASE_RETIRING" || r.Phase == "ROTATION_PHASE_DONE" {
			return true
		}
		if r.Phase != "ROTATION_PHASE_REENCRYPTING" || len(r.Gatekeepers) == 0 {
			return false
		}
		for _, gk := range r.Gatekeepers {
			if !gk.Finished {
				return false
			}
		}
		return true
	})
	t.Logf("ranges verified at %s", time.Since(start).Round(time.Second))
	// The lagging worker's app saves more state: under v0, the only
	// version its pRuntime knows of.
	if in, err := fetchInfo(workers[1].RPC); err != nil || in.Cluster == nil || !slices.Equal(in.Cluster.KeyVersions, []uint32{0}) {
		t.Fatalf("%s is not lagging: %+v, %v", workers[1].Name, in.Cluster, err)
	}
	putBlobs(t, workers[1].AppAPI, "late-1", 20, want)
	// Room for the old code's erase order (key_retention 3 blocks).
	time.Sleep(3 * time.Second)
	if r := rotationRowsView(t, g); r.Phase == "ROTATION_PHASE_REENCRYPTING" && len(r.WorkerAcks) >= len(workers) {
		t.Fatalf("every worker acknowledged v1 while %s's relayer is off: %v", workers[1].Name, r.WorkerAcks)
	}

	// The relayer comes back; the rotation ends with the erasure of v0.
	g.kill(t)
	g.restart(t)
	eventually(t, 90*time.Second, "v0 erased", func() bool { return rotationRowsView(t, g).Phase == "ROTATION_PHASE_DONE" })
	t.Logf("v0 erased at %s", time.Since(start).Round(time.Second))
	for _, w := range workers {
		eventually(t, 30*time.Second, w.Name+" holding only cluster key v1", func() bool {
			in, err := fetchInfo(w.RPC)
			return err == nil && in.Cluster != nil && slices.Equal(in.Cluster.KeyVersions, []uint32{1})
		})
		for name, data := range want {
			if got := appGet(t, w.AppAPI+"/app/v1/state/demo/"+name); !bytes.Equal(got, data) {
				t.Fatalf("%s: %s changed over the rotation", w.Name, name)
			}
		}
	}
	t.Logf("%d blobs read back from both workers at %s", len(want), time.Since(start).Round(time.Second))
}

// TestDevnetRotationDeadGatekeeper is issue 12 point 5: one gatekeeper is
// killed for good mid-rotation (SIGKILL, then never started again) before
// its range finished. After reencrypt_stall_blocks without progress the
// chain gives the range to another live gatekeeper, which completes it;
// the rotation ends with the erasure of v0 with two of three gatekeepers
// (the quorum), and every blob reads back.
func TestDevnetRotationDeadGatekeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	start := time.Now()
	g := startGKDevnet(t, "--key-retention", "3", "--reencrypt-stall-blocks", "20")
	g.showWorkerLogOnFailure(t, "rotation", "rotation", "re-encrypt", "reassigned")
	gks, workers := g.gatekeepers(), g.workers()
	for _, w := range workers {
		eventually(t, 120*time.Second, w.Name+" holding a cluster key", func() bool {
			in, err := fetchInfo(w.RPC)
			return err == nil && in.Cluster != nil && len(in.Cluster.KeyVersions) > 0
		})
	}
	names := map[string]string{} // identity key (base64) -> name
	for _, gk := range gks {
		in, err := fetchInfo(gk.RPC)
		if err != nil {
			t.Fatal(err)
		}
		id, err := hex.DecodeString(in.IdentityKey)
		if err != nil {
			t.Fatal(err)
		}
		names[base64.StdEncoding.EncodeToString(id)] = gk.Name
	}
	want := map[string][]byte{}
	putBlobs(t, workers[0].AppAPI, "doc-0", 20, want)
	putBlobs(t, workers[1].AppAPI, "doc-1", 20, want)

	// Kill the devnet as soon as re-encryption starts, and bring it back
	// without a gatekeeper whose range had not finished.
	rotateByGovernance(t, g)
	var r rotationRows
	eventually(t, 90*time.Second, "re-encryption", func() bool {
		r = rotationRowsView(t, g)
		return r.Phase == "ROTATION_PHASE_REENCRYPTING"
	})
	g.kill(t)
	dead := ""
	for _, row := range r.Gatekeepers {
		if !row.Finished {
			dead = row.IdentityKey
			break
		}
	}
	if dead == "" {
		t.Fatal("every range finished before the kill")
	}
	t.Logf("killed the devnet in re-encryption at %s; %s stays dead", time.Since(start).Round(time.Second), names[dead])
	g.restartWith(t, "--down", names[dead])

	eventually(t, 90*time.Second, "v0 erased with a gatekeeper dead", func() bool {
		r = rotationRowsView(t, g)
		return r.Phase == "ROTATION_PHASE_DONE"
	})
	t.Logf("v0 erased at %s", time.Since(start).Round(time.Second))
	for _, row := range r.Gatekeepers {
		if row.IdentityKey != dead {
			continue
		}
		if row.Reassignments == 0 || row.Assignee == "" || row.Assignee == dead {
			t.Fatalf("the dead gatekeeper's range was not reassigned: %+v", row)
		}
		t.Logf("its range went to %s (%d reassignments)", names[row.Assignee], row.Reassignments)
	}
	for _, w := range workers {
		eventually(t, 30*time.Second, w.Name+" holding only cluster key v1", func() bool {
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
