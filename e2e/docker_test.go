package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// Docker scenario settings: ports 36000-36089 on the host's loopback, the
// compose project (hence network) gk-i15d-e2e, images tagged dockerTag.
const (
	dockerBasePort = 36000
	dockerProject  = "gk-i15d-e2e"
	dockerTag      = "e2e-docker"
)

// TestDocker runs the seed's deployment on real Docker: `make images`,
// `gkd testnet --compose` (4 validators, 3 gatekeepers, 2 workers: per
// operator a node, a pRuntime and a pherry container), `docker-compose up`,
// then the one-shot launch container. It asserts, through each pRuntime's
// /get_info on its published port, that the 3 gatekeepers are active on one
// master key and both workers hold the cluster key, then faults:
//   - one of the 4 validators stopped: blocks go on (3 of 4 is a quorum);
//   - every container restarted: all resume from their mounted data dirs,
//     with the same identity keys (nothing registers anew), master key and
//     cluster key;
//   - gatekeeper-2's operator host (its node, pRuntime and pherry) cut off
//     the network (docker network disconnect) and reconnected: blocks go on
//     meanwhile; then its node and its gatekeeper catch up, still active on
//     the same master key (no rotation runs meanwhile: not yet tested);
//   - a worker's relayer killed: the worker stops following the chain;
//     started again, it catches up.
//
// It needs docker and docker-compose (v1.29 tested) and takes minutes:
//
//	GK_DOCKER=1 go test ./e2e -run TestDocker -v -timeout 30m
func TestDocker(t *testing.T) {
	if os.Getenv("GK_DOCKER") != "1" {
		t.Skip("set GK_DOCKER=1 to run the compose network on real Docker")
	}
	start := time.Now()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	run := func(dir string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(root, "make", "images", "VERSION="+dockerTag)
	t.Logf("images built after %s", time.Since(start).Round(time.Second))

	dir := filepath.Join(t.TempDir(), "net")
	t.Logf("%s", run(root, filepath.Join(root, "build", "gkd"), "testnet", "--compose", "--output-dir", dir,
		"--base-port", "36000", "--pruntime", filepath.Join(root, "build", "pruntime"),
		"--image-tag", dockerTag, "--voting-period", "10s", "--chain-id", "gk-docker-e2e"))
	tn, err := devnetpkg.ReadTestnet(dir)
	if err != nil {
		t.Fatal(err)
	}
	compose := func(args ...string) string {
		t.Helper()
		return run(dir, "docker-compose", append([]string{"-p", dockerProject}, args...)...)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker-compose", "-p", dockerProject, "--project-directory", dir,
				"-f", filepath.Join(dir, devnetpkg.ComposeFile), "logs", "--no-color", "--tail=15").CombinedOutput()
			t.Logf("container logs (tail):\n%s", out)
		}
		cmd := exec.Command("docker-compose", "-p", dockerProject, "down", "-v", "--remove-orphans")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("docker-compose down: %v\n%s", err, out)
		}
	})
	compose("up", "-d")

	// From the host, the published ports: the same numbers on 127.0.0.1.
	local := func(url string) string {
		for _, n := range tn.Nodes {
			url = strings.Replace(url, "//"+n.Host+":", "//127.0.0.1:", 1)
		}
		for _, p := range tn.PRuntimes {
			url = strings.Replace(url, "//"+p.Host+":", "//127.0.0.1:", 1)
		}
		return url
	}
	height := func(n devnetpkg.TestnetNode) int64 {
		c, err := rpchttp.New(local(n.RPC), "/websocket")
		if err != nil {
			return -1
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		st, err := c.Status(ctx)
		if err != nil {
			return -1
		}
		return st.SyncInfo.LatestBlockHeight
	}
	info := func(p devnetpkg.TestnetPRuntime) api.Info {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		in, _ := api.NewClient(local(p.RPC)).Info(ctx)
		return in
	}
	blocksGoOn := func(n devnetpkg.TestnetNode, what string) {
		t.Helper()
		h0 := int64(-1)
		eventually(t, 2*time.Minute, n.Name+" answering", func() bool { h0 = height(n); return h0 >= 0 })
		eventually(t, 2*time.Minute, what, func() bool { return height(n) >= h0+3 })
	}
	for _, n := range tn.Nodes {
		eventually(t, 3*time.Minute, n.Name+" at height 3", func() bool { return height(n) >= 3 })
	}
	for _, p := range tn.PRuntimes {
		eventually(t, 3*time.Minute, p.Name+" registered", func() bool { return info(p).Registered })
	}
	t.Logf("network up and registered after %s", time.Since(start).Round(time.Second))

	t.Logf("%s", compose("run", "--rm", "launch"))
	var gks, workers []devnetpkg.TestnetPRuntime
	for _, p := range tn.PRuntimes {
		if p.Role == devnetpkg.RoleGatekeeper {
			gks = append(gks, p)
		} else {
			workers = append(workers, p)
		}
	}
	if len(gks) != 3 || len(workers) != 2 {
		t.Fatalf("%d gatekeepers, %d workers; want 3 and 2", len(gks), len(workers))
	}
	type seen struct{ identity, master string }
	before := map[string]seen{}
	launched := func() {
		t.Helper()
		var master string
		for _, p := range gks {
			eventually(t, 3*time.Minute, p.Name+" active on master key version 0", func() bool {
				in := info(p)
				return in.Role == api.RoleActive && in.MasterVersions >= 1 && in.MasterPubkey != ""
			})
			in := info(p)
			if master == "" {
				master = in.MasterPubkey
			}
			if in.MasterPubkey != master {
				t.Fatalf("%s holds master key %s, %s holds %s", p.Name, in.MasterPubkey, gks[0].Name, master)
			}
		}
		for _, p := range workers {
			eventually(t, 3*time.Minute, p.Name+" holding the cluster key", func() bool {
				in := info(p)
				return in.Cluster != nil && len(in.Cluster.KeyVersions) >= 1
			})
		}
		for _, p := range tn.PRuntimes {
			in := info(p)
			s := seen{in.IdentityKey, in.MasterPubkey}
			if old, ok := before[p.Name]; ok && old != s {
				t.Fatalf("%s: identity and master key %+v before the restart, %+v after", p.Name, old, s)
			}
			before[p.Name] = s
		}
	}
	launched()
	t.Logf("3 gatekeepers active, 2 workers in the cluster after %s", time.Since(start).Round(time.Second))

	// Fault 1: one of 4 validators stopped; the other 3 are a quorum.
	stopped := tn.Nodes[3]
	compose("stop", stopped.Name)
	blocksGoOn(tn.Nodes[0], "blocks with "+stopped.Name+" stopped")
	compose("start", stopped.Name)
	eventually(t, 2*time.Minute, stopped.Name+" caught up", func() bool {
		return height(stopped) >= height(tn.Nodes[0])-1
	})
	t.Logf("validator stop/start done after %s", time.Since(start).Round(time.Second))

	// Fault 2: every container restarted; each resumes from its data dir.
	compose("restart")
	for _, n := range tn.Nodes {
		blocksGoOn(n, n.Name+" making blocks after the restart")
	}
	launched()
	for _, p := range tn.PRuntimes {
		h := height(tn.Nodes[0])
		eventually(t, 2*time.Minute, p.Name+" following the chain after the restart", func() bool {
			return info(p).SyncedHeight >= h
		})
	}
	t.Logf("restart of every container done after %s", time.Since(start).Round(time.Second))
	var h int64

	// Fault 3: gatekeeper-2's operator host (node2, pruntime2, pherry2) cut
	// off the network, then reconnected under its service names; blocks go
	// on meanwhile, and afterwards its node and its gatekeeper catch up,
	// still active on the same master key.
	network := dockerProject + "_default"
	cut := []string{"node2", "pruntime2", "pherry2"}
	for _, svc := range cut {
		run(dir, "docker", "network", "disconnect", network, dockerProject+"_"+svc+"_1")
	}
	blocksGoOn(tn.Nodes[0], "blocks with gatekeeper-2's host cut off")
	for _, svc := range cut {
		run(dir, "docker", "network", "connect", "--alias", svc, network, dockerProject+"_"+svc+"_1")
	}
	h = height(tn.Nodes[0])
	eventually(t, 2*time.Minute, "node2 caught up after reconnecting", func() bool { return height(tn.Nodes[2]) >= h })
	eventually(t, 2*time.Minute, gks[2].Name+" caught up after reconnecting", func() bool {
		in := info(gks[2])
		return in.SyncedHeight >= h && in.Role == api.RoleActive && in.MasterPubkey == before[gks[2].Name].master
	})
	t.Logf("gatekeeper host cut off and reconnected after %s", time.Since(start).Round(time.Second))

	// Fault 4: a worker's relayer killed, then started again.
	w := workers[0]
	relayer := "pherry" + strings.TrimPrefix(filepath.Base(w.KeyringDir), "pruntime")
	compose("kill", relayer)
	stalled := info(w).SyncedHeight
	blocksGoOn(tn.Nodes[0], "blocks with "+relayer+" killed")
	if h := info(w).SyncedHeight; h > stalled+1 {
		t.Fatalf("%s went from height %d to %d with its relayer killed", w.Name, stalled, h)
	}
	compose("start", relayer)
	h = height(tn.Nodes[0])
	eventually(t, 2*time.Minute, w.Name+" caught up after its relayer came back", func() bool {
		in := info(w)
		return in.SyncedHeight >= h && in.Cluster != nil
	})
	t.Logf("scenario done in %s", time.Since(start).Round(time.Second))
}
