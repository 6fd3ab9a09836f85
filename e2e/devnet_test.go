package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
)

// TestDevnet walks the README's path: start the devnet, query it, pass a
// governance proposal that allows a measurement, stop it with Ctrl-C and
// resume it with everything in place.
func TestDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	gkd := gkdBinary(t)
	home := t.TempDir()
	offset := e2etest.FreePortOffset(t, 0)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", 26657+offset)
	args := []string{"--port-offset", strconv.Itoa(offset), "--block-time", "300ms", "--voting-period", "4s", "--gatekeepers", "0", "--workers", "2"}

	d := startDevnet(t, gkd, home, args...)
	height := waitForHeight(t, gkd, node, 2)

	var manifest struct {
		ChainID   string            `json:"chain_id"`
		Endpoints map[string]string `json:"endpoints"`
	}
	b, err := os.ReadFile(filepath.Join(home, "devnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.ChainID != "gatekeeper-devnet" || manifest.Endpoints["cometbft_rpc"] != node {
		t.Fatalf("devnet.json = %s", b)
	}

	// The README's query, with --node as an operator outside the home would.
	var params struct {
		Params struct {
			AllowSimulatedTee bool `json:"allow_simulated_tee"`
		} `json:"params"`
	}
	gkdJSON(t, gkd, &params, "q", "registry", "params", "--node", node)
	if !params.Params.AllowSimulatedTee {
		t.Fatal("devnet genesis must allow the simulated TEE")
	}

	// A governance proposal carrying MsgAddMeasurement passes.
	measurement := strings.Repeat("5e", 32)
	gkdRun(t, gkd, "tx", "registry", "add-measurement", "sim", measurement, "e2e runtime",
		"--home", home, "--from", "validator", "--deposit", "10000000stake",
		"--title", "allow e2e runtime", "--summary", "allow the e2e measurement", "--fees", "2000stake", "-y")
	eventually(t, 20*time.Second, "proposal 1", func() bool {
		var props struct {
			Proposals []json.RawMessage `json:"proposals"`
		}
		gkdJSON(t, gkd, &props, "q", "gov", "proposals", "--home", home)
		return len(props.Proposals) == 1
	})
	gkdRun(t, gkd, "tx", "gov", "vote", "1", "yes", "--home", home, "--from", "validator", "--fees", "2000stake", "-y")
	eventually(t, 30*time.Second, "the measurement to be allowed", func() bool {
		return hasMeasurement(t, gkd, home, measurement)
	})

	// Both workers register themselves and keep up with the chain.
	workers := []string{fmt.Sprintf("http://127.0.0.1:%d", 8000+offset), fmt.Sprintf("http://127.0.0.1:%d", 8001+offset)}
	eventually(t, 60*time.Second, "two registered workers", func() bool {
		var resp struct {
			Workers []struct {
				Endpoint string `json:"endpoint"`
			} `json:"workers"`
		}
		gkdJSON(t, gkd, &resp, "q", "registry", "workers", "--home", home)
		return len(resp.Workers) == 2 && resp.Workers[0].Endpoint != "" && resp.Workers[1].Endpoint != ""
	})
	var synced []int64
	for _, w := range workers {
		eventually(t, 30*time.Second, w+" registered and synced", func() bool {
			info := pruntimeInfo(t, w)
			chain := waitForHeight(t, gkd, node, 1)
			return info.Registered && info.PendingEgress == 0 && chain-info.SyncedHeight <= 5
		})
		synced = append(synced, pruntimeInfo(t, w).SyncedHeight)
	}

	d.interrupt(t)
	if !strings.Contains(d.out.String(), "devnet: stopped") {
		t.Fatalf("no clean stop message in:\n%s", d.out.String())
	}

	// Resume: same chain, later height, state intact.
	d = startDevnet(t, gkd, home, args...)
	resumed := waitForHeight(t, gkd, node, height+1)
	if !strings.Contains(d.out.String(), "resuming gatekeeper-devnet") {
		t.Fatalf("second run did not resume:\n%s", d.out.String())
	}
	if !hasMeasurement(t, gkd, home, measurement) {
		t.Fatal("measurement lost across restart")
	}
	// Each pRuntime resumes from its checkpoint: its height does not go
	// back to zero, and it keeps its registration.
	for i, w := range workers {
		var info pruntimeStatus
		eventually(t, 30*time.Second, w+" answering", func() bool {
			var err error
			info, err = fetchPruntimeInfo(w)
			return err == nil
		})
		if info.SyncedHeight == 0 || !info.Registered {
			t.Fatalf("%s restarted at height %d, registered %t (was %d before the stop)", w, info.SyncedHeight, info.Registered, synced[i])
		}
		t.Logf("%s resumed at height %d (had %d)", w, info.SyncedHeight, synced[i])
	}
	t.Logf("devnet resumed at height %d (first run reached %d)", resumed, height)
	d.interrupt(t)
}

func waitForHeight(t *testing.T, gkd, node string, min int64) int64 {
	t.Helper()
	var h int64
	eventually(t, 60*time.Second, fmt.Sprintf("height %d", min), func() bool {
		out, err := execOutput(gkd, "status", "--node", node)
		if err != nil {
			return false
		}
		var st struct {
			SyncInfo struct {
				LatestBlockHeight string `json:"latest_block_height"`
			} `json:"sync_info"`
		}
		if json.Unmarshal(out, &st) != nil {
			return false
		}
		h, _ = strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
		return h >= min
	})
	return h
}

func hasMeasurement(t *testing.T, gkd, home, measurementHex string) bool {
	t.Helper()
	var resp struct {
		Measurements []struct {
			TeeKind     string `json:"tee_kind"`
			Measurement string `json:"measurement"`
		} `json:"measurements"`
	}
	gkdJSON(t, gkd, &resp, "q", "registry", "measurements", "--home", home)
	for _, m := range resp.Measurements {
		b, err := base64.StdEncoding.DecodeString(m.Measurement)
		if err != nil {
			t.Fatalf("measurement %q: %v", m.Measurement, err)
		}
		if m.TeeKind == "sim" && hex.EncodeToString(b) == measurementHex {
			return true
		}
	}
	return false
}

type pruntimeStatus struct {
	Registered    bool  `json:"registered"`
	SyncedHeight  int64 `json:"synced_height"`
	PendingEgress int   `json:"pending_egress"`
}

func fetchPruntimeInfo(url string) (pruntimeStatus, error) {
	var info pruntimeStatus
	resp, err := http.Get(url + "/get_info")
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return info, fmt.Errorf("get_info: HTTP %d", resp.StatusCode)
	}
	return info, json.NewDecoder(resp.Body).Decode(&info)
}

func pruntimeInfo(t *testing.T, url string) pruntimeStatus {
	t.Helper()
	info, err := fetchPruntimeInfo(url)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
