package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// TestDevnetGatekeepers is issue 4's acceptance run: `gkd devnet
// --gatekeepers 3 --workers 2` puts master key v0 on chain, every gatekeeper
// goes active with it, both workers hold the cluster key, and an app on a
// worker saves a blob and reads it back after the worker restarts. It then
// unseals the keys it knows in sim mode and checks that none of them appears
// in any log of the run, and that no worker holds a master key.
func TestDevnetGatekeepers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and runs a devnet")
	}
	g := startGKDevnet(t)
	gkd, home, node, manifest := g.gkd, g.home, g.node, g.manifest
	gks, workers := g.gatekeepers(), g.workers()
	for i, p := range manifest.PRuntimes {
		if want := map[bool]string{true: "gatekeeper", false: "worker"}[i < 3]; p.Role != want {
			t.Fatalf("pRuntime %d (%s) has role %q, want %q", i, p.Name, p.Role, want)
		}
	}

	// Master key version 0 is on chain.
	var keys struct {
		MasterKeys []struct {
			PublicKey string `json:"public_key"`
		} `json:"master_keys"`
	}
	eventually(t, 120*time.Second, "master key v0 on chain", func() bool {
		gkdJSON(t, gkd, &keys, "q", "gatekeeper", "master-keys", "--node", node)
		return len(keys.MasterKeys) == 1
	})
	pub, err := base64.StdEncoding.DecodeString(keys.MasterKeys[0].PublicKey)
	if err != nil || len(pub) != crypto.MasterPublicKeySize {
		t.Fatalf("master public key %q: %v", keys.MasterKeys[0].PublicKey, err)
	}

	// All three gatekeepers report role active with that public key.
	for _, g := range gks {
		eventually(t, 60*time.Second, g.Name+" active", func() bool {
			in, err := fetchInfo(g.RPC)
			return err == nil && in.Role == api.RoleActive && in.MasterPubkey == hex.EncodeToString(pub)
		})
	}
	// The chain records them live.
	var onChain struct {
		Gatekeepers []struct {
			LiveHeight string `json:"live_height"`
		} `json:"gatekeepers"`
	}
	eventually(t, 30*time.Second, "three live gatekeepers on chain", func() bool {
		gkdJSON(t, gkd, &onChain, "q", "gatekeeper", "gatekeepers", "--node", node)
		live := 0
		for _, g := range onChain.Gatekeepers {
			if g.LiveHeight != "" && g.LiveHeight != "0" {
				live++
			}
		}
		return live == 3
	})

	// Both workers hold the cluster key.
	var cluster uint64
	for _, w := range workers {
		eventually(t, 60*time.Second, w.Name+" holding the cluster key", func() bool {
			in, err := fetchInfo(w.RPC)
			if err != nil || in.Cluster == nil || len(in.Cluster.KeyVersions) == 0 {
				return false
			}
			cluster = in.Cluster.ID
			return true
		})
	}
	// The first beacon is accepted by quorum.
	eventually(t, 60*time.Second, "a beacon on chain", func() bool {
		var b struct {
			Beacon *struct {
				Height string `json:"height"`
			} `json:"beacon"`
		}
		gkdJSON(t, gkd, &b, "q", "gatekeeper", "beacon", "--node", node)
		return b.Beacon != nil
	})

	// An app on worker-0 derives a key and saves state; worker-1, in the
	// same cluster, derives the same key.
	app := workers[0].AppAPI
	key0 := appKey(t, app, "demo", "signing")
	if key1 := appKey(t, workers[1].AppAPI, "demo", "signing"); key1 != key0 {
		t.Fatal("two workers of one cluster derive different app keys")
	}
	blob := []byte("state that must survive a restart")
	appDo(t, http.MethodPut, app+"/app/v1/state/demo/counter", blob, http.StatusNoContent)
	webPageAttacks(t, app, blob)

	g.interrupt(t)
	g.restart(t)
	eventually(t, 60*time.Second, "worker-0's app API after the restart", func() bool {
		resp, err := http.Get(app + "/app/v1/state/demo/counter")
		if err != nil {
			return false
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && bytes.Equal(got, blob)
	})
	if got := appKey(t, app, "demo", "signing"); got != key0 {
		t.Fatal("app key changed across a restart")
	}
	g.interrupt(t)

	// A non-gatekeeper never receives the master key: no worker has a
	// master key history.
	for _, w := range workers {
		if _, err := os.Stat(filepath.Join(w.DataDir, pruntime.MasterKeysFile)); err == nil || !os.IsNotExist(err) {
			t.Fatalf("%s has a master key history (%v)", w.Name, err)
		}
	}
	// Unseal what the run knows (sim mode) and check it against the chain.
	secrets := [][]byte{}
	for _, g := range gks {
		secret := unsealMasterV0(t, g.DataDir)
		k, err := crypto.MasterKeyFromSecret(0, secret)
		if err != nil || !bytes.Equal(k.PublicKey(), pub) {
			t.Fatalf("%s sealed a master key that is not the one on chain", g.Name)
		}
		ck := k.ClusterKey(cluster)
		secrets = append(secrets, secret, ck[:])
	}
	for _, p := range manifest.PRuntimes {
		secrets = append(secrets, unsealIdentitySecrets(t, p.DataDir)...)
	}
	assertNoSecretsInLogs(t, home, g.out.String(), secrets)
}

func fetchInfo(url string) (api.Info, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return api.NewClient(url).Info(ctx)
}

func appKey(t *testing.T, base, app string, path ...string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"app_id": app, "path": path})
	var resp struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(appDo(t, http.MethodPost, base+"/app/v1/key", body, http.StatusOK), &resp); err != nil || resp.Key == "" {
		t.Fatalf("app key response: %v", err)
	}
	return resp.Key
}

func appDo(t *testing.T, method, url string, body []byte, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		// The app API takes JSON bodies declared as such (415 otherwise).
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, out, want)
	}
	return out
}

// webPageAttacks plays a web page in a browser on the worker's host against
// its app API: after DNS rebinding the browser connects to 127.0.0.1 but
// names the page's host; a cross-origin page posts JSON as text/plain, which
// needs no CORS preflight. Neither gets a key or the state.
func webPageAttacks(t *testing.T, app string, state []byte) {
	t.Helper()
	for _, tc := range []struct {
		name, method, path, host, contentType string
		body                                  []byte
		want                                  int
	}{
		{"rebound key", http.MethodPost, "/app/v1/key", "rebind.evil.example", "application/json", []byte(`{"app_id":"demo","path":["signing"]}`), http.StatusForbidden},
		{"rebound state", http.MethodGet, "/app/v1/state/demo/counter", "rebind.evil.example", "", nil, http.StatusForbidden},
		{"text/plain key", http.MethodPost, "/app/v1/key", "", "text/plain", []byte(`{"app_id":"demo","path":["signing"]}`), http.StatusUnsupportedMediaType},
	} {
		req, err := http.NewRequest(tc.method, app+tc.path, bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.host != "" {
			_, port, _ := strings.Cut(strings.TrimPrefix(app, "http://"), ":")
			req.Host = tc.host + ":" + port
		}
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || bytes.Contains(out, state) || bytes.Contains(out, []byte(`"key"`)) {
			t.Fatalf("%s: %d %s, want %d and neither key nor state", tc.name, resp.StatusCode, out, tc.want)
		}
	}
}

// unsealMasterV0 reads a gatekeeper's sealed master key history with the
// sim TEE's sealing key and returns version 0's secret.
func unsealMasterV0(t *testing.T, dataDir string) []byte {
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
	if len(raw) != 5+36 || binary.BigEndian.Uint32(raw[1:5]) != 1 || binary.BigEndian.Uint32(raw[5:9]) != 0 {
		t.Fatalf("history is not exactly version 0 (%d bytes)", len(raw))
	}
	return raw[9:41]
}

// unsealIdentitySecrets returns a devnet pRuntime's identity signing seed
// and receive private key.
func unsealIdentitySecrets(t *testing.T, dataDir string) [][]byte {
	t.Helper()
	return unsealIdentitySecretsWith(t, dataDir, pruntime.DevnetMeasurement())
}

// unsealIdentitySecretsWith is unsealIdentitySecrets for a pRuntime of
// another sim measurement.
func unsealIdentitySecretsWith(t *testing.T, dataDir string, measurement []byte) [][]byte {
	t.Helper()
	tee, err := pruntime.OpenSimTEE(dataDir, measurement)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(filepath.Join(dataDir, pruntime.IdentityFile))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tee.Unseal(protocol.ContextIdentity, sealed)
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		SigningSeed []byte `json:"signing_seed"`
		Receive     []byte `json:"receive"`
	}
	if err := json.Unmarshal(raw, &id); err != nil || len(id.SigningSeed) != 32 || len(id.Receive) == 0 {
		t.Fatalf("sealed identity: %v", err)
	}
	return [][]byte{id.SigningSeed, id.Receive}
}

// assertNoSecretsInLogs greps every log the devnet writes (node.log,
// workers.log) and its output for the secrets in any common encoding.
func assertNoSecretsInLogs(t *testing.T, home, stdout string, secrets [][]byte) {
	t.Helper()
	logs := map[string]string{"devnet output": stdout}
	paths, err := filepath.Glob(filepath.Join(home, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		logs[p] = string(b)
	}
	if len(logs) != 3 {
		t.Fatalf("found %d logs under %s, want node.log and workers.log", len(paths), home)
	}
	for name, text := range logs {
		if len(text) == 0 && name != "devnet output" {
			t.Fatalf("%s is empty", name)
		}
		for _, s := range secrets {
			for _, enc := range e2etest.SecretEncodings(s) {
				if strings.Contains(text, enc) {
					t.Fatalf("%s contains key material (%d-byte secret as %q…)", name, len(s), enc[:8])
				}
			}
		}
	}
	t.Logf("checked %d secrets in %d logs", len(secrets), len(logs))
}
