package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
)

// TestPruntimeBootstrapsPastRetention: a pRuntime that lost its checkpoints
// while the chain pruned the ingress it would need catches up from a proven
// state read — it learns it is registered without replaying pruned entries
// and without registering again.
func TestPruntimeBootstrapsPastRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	gkd := gkdBinary(t)
	home := t.TempDir()
	offset := e2etest.FreePortOffset(t, 0)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", 26657+offset)
	worker := fmt.Sprintf("http://127.0.0.1:%d", 8000+offset)
	args := []string{"--port-offset", strconv.Itoa(offset), "--block-time", "300ms", "--gatekeepers", "0", "--workers", "1", "--ingress-retention", "5"}

	d := startDevnet(t, gkd, home, args...)
	waitForHeight(t, gkd, node, 2)
	var registeredHeight string
	eventually(t, 60*time.Second, "the worker registered", func() bool {
		var resp struct {
			Workers []struct {
				RegisteredHeight string `json:"registered_height"`
			} `json:"workers"`
		}
		gkdJSON(t, gkd, &resp, "q", "registry", "workers", "--home", home)
		if len(resp.Workers) == 1 {
			registeredHeight = resp.Workers[0].RegisteredHeight
		}
		return len(resp.Workers) == 1
	})
	// Let the registration's ingress entry age out of the retention window.
	eventually(t, 60*time.Second, "the ingress log pruned", func() bool {
		var q struct {
			FirstIndex string `json:"first_index"`
		}
		gkdJSON(t, gkd, &q, "q", "mq", "ingress", "0", "--node", node)
		first, _ := strconv.Atoi(q.FirstIndex)
		return first >= 1
	})
	// Proofs are taken one block behind the head: make sure the pruned
	// state is well behind us before stopping.
	waitForHeight(t, gkd, node, waitForHeight(t, gkd, node, 1)+3)
	d.interrupt(t)

	// The pRuntime keeps its sealed identity but loses every checkpoint.
	if err := os.RemoveAll(filepath.Join(home, "pruntime-0", "checkpoints")); err != nil {
		t.Fatal(err)
	}
	d = startDevnet(t, gkd, home, args...)
	waitForHeight(t, gkd, node, 2)
	eventually(t, 60*time.Second, "the pRuntime bootstrapped and registered", func() bool {
		info, err := fetchPruntimeInfo(worker)
		return err == nil && info.Registered && info.SyncedHeight > 0
	})
	logs, err := os.ReadFile(filepath.Join(home, "workers.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logs), "bootstrapped from proven state") {
		t.Fatalf("no bootstrap in the workers log:\n%s", e2etest.Tail(string(logs), 30))
	}
	var resp struct {
		Workers []struct {
			RegisteredHeight string `json:"registered_height"`
		} `json:"workers"`
	}
	gkdJSON(t, gkd, &resp, "q", "registry", "workers", "--home", home)
	if len(resp.Workers) != 1 || resp.Workers[0].RegisteredHeight != registeredHeight {
		t.Fatalf("the worker registered again: %+v, first registration at %s", resp.Workers, registeredHeight)
	}
	d.interrupt(t)
}
