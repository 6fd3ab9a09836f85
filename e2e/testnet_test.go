package e2e

import (
	"context"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/tee/sim"
)

// testnetBasePort: the generated network listens on 31400-31439.
const testnetBasePort = 31400

// TestTestnetGenerator: `gkd testnet` writes a 2-validator, 1-gatekeeper,
// 1-worker network; the real binaries started from its command lines, each
// a separate process, make blocks on both validators; the pRuntimes trust
// the genesis validators hash the generator computed (a wrong one would
// fail at the first header), register under the build's measurement, and
// after `gkd testnet launch` the gatekeeper holds master key version 0 and
// the worker is in a cluster.
func TestTestnetGenerator(t *testing.T) {
	gkd, prt, pherryBin := gkdBinary(t), pruntimeBinary(t), e2etest.Binary(t, "pherry")
	dir := filepath.Join(t.TempDir(), "net")
	out := gkdRun(t, gkd, "testnet", "--validators", "2", "--gatekeepers", "1", "--workers", "1",
		"--output-dir", dir, "--base-port", "31400", "--pruntime", prt,
		"--block-time", "500ms", "--voting-period", "4s", "--chain-id", "gk-testnet-e2e")
	t.Logf("%s", out)
	tn, err := devnetpkg.ReadTestnet(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sim.MeasureFile(prt)
	if err != nil {
		t.Fatal(err)
	}
	if tn.Measurement != hex.EncodeToString(m[:]) {
		t.Fatalf("genesis allows %s, the pruntime binary measures %x", tn.Measurement, m)
	}

	logs := map[string]*syncBuffer{}
	start := func(name, bin string, args ...string) {
		t.Helper()
		buf := &syncBuffer{}
		logs[name] = buf
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = buf, buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
	}
	showLogs := func() {
		if t.Failed() {
			for name, b := range logs {
				t.Logf("--- %s log (tail):\n%s", name, e2etest.Tail(b.String(), 30))
			}
		}
	}
	t.Cleanup(showLogs)
	for _, n := range tn.Nodes {
		start(n.Name, gkd, n.Args...)
	}
	for _, p := range tn.PRuntimes {
		start(p.Name, prt, p.PRuntimeArg...)
		start(p.Name+"-pherry", pherryBin, p.PherryArgs...)
	}

	// Both validators make blocks.
	for _, n := range tn.Nodes {
		c, err := rpchttp.New(n.RPC, "/websocket")
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, 90*time.Second, n.Name+" at height 3", func() bool {
			st, err := c.Status(t.Context())
			return err == nil && st.SyncInfo.LatestBlockHeight >= 3
		})
	}

	info := func(p devnetpkg.TestnetPRuntime) api.Info {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		in, _ := api.NewClient(p.RPC).Info(ctx)
		return in
	}
	for _, p := range tn.PRuntimes {
		eventually(t, 90*time.Second, p.Name+" registered", func() bool { return info(p).Registered })
		if in := info(p); in.Measurement != tn.Measurement || in.TrustHeight != 0 {
			t.Fatalf("%s runs measurement %s from trust height %d, want %s from genesis", p.Name, in.Measurement, in.TrustHeight, tn.Measurement)
		}
	}

	launch := &syncBuffer{}
	logs["launch"] = launch
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	lcmd := exec.CommandContext(ctx, gkd, "testnet", "launch", "--output-dir", dir)
	lcmd.Stdout, lcmd.Stderr = launch, launch
	if err := lcmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = lcmd.Wait() })

	gk, worker := tn.PRuntimes[0], tn.PRuntimes[1]
	eventually(t, 2*time.Minute, "the gatekeeper holding master key version 0", func() bool {
		in := info(gk)
		return in.Role == api.RoleActive && in.MasterVersions >= 1 && in.MasterPubkey != ""
	})
	eventually(t, 2*time.Minute, "the worker in a cluster", func() bool { return info(worker).Cluster != nil })
	if !strings.Contains(launch.String(), "master key version 0 is on chain") {
		t.Errorf("launch did not report the master key:\n%s", launch.String())
	}
}
