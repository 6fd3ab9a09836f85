package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	devnetpkg "github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// TestPRuntimeMigration is issue 5 point 6's end-to-end run: a pRuntime
// migration from one build to another, two different measurements, on
// `gkd devnet --gatekeepers 3 --workers 2`. The devnet's pRuntimes run the
// devnet measurement (pruntime.DevnetMeasurement); the successor build is
// the pruntime binary, whose sim measurement is the SHA-256 of its
// executable. Apps save blobs of mixed sizes and derive a key; governance
// schedules the migration (`gkd tx gatekeeper schedule-migration`); one
// successor process per devnet pRuntime, with its own pherry, registers
// naming its predecessor, receives the handover and reports ready. After
// the activation height the successors are the gatekeepers, live with the
// same master key, and answer tasks; the successor workers hold the
// cluster key, read every blob back unchanged and derive the same app key,
// also after a restart (they sealed what they were handed under their own
// measurement); the old pRuntimes are retired and hold no keys, neither in
// memory nor in a sealed history or checkpoint; no master, cluster or
// identity key is in any log.
func TestPRuntimeMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gkd and pruntime and runs a devnet")
	}
	start := time.Now()
	succBin := pruntimeBinary(t)
	// The devnet's block time and voting period (startGKDevnet's).
	const blockTime, votingPeriod = 300 * time.Millisecond, 4 * time.Second
	g := startGKDevnet(t)
	g.showWorkerLogOnFailure(t, "migration", "migration", "handed over")
	gkd, home, node, m, d := g.gkd, g.home, g.node, g.manifest, g.devnet
	olds := m.PRuntimes
	gks, workers := olds[:3], olds[3:]

	// The devnet is up: three live gatekeepers with master key v0, both
	// workers holding the cluster key, a beacon on chain.
	var masterPub string
	for _, g := range gks {
		eventually(t, 120*time.Second, g.Name+" active", func() bool {
			in, err := fetchInfo(g.RPC)
			if err != nil || in.Role != api.RoleActive || (masterPub != "" && in.MasterPubkey != masterPub) {
				return false
			}
			masterPub = in.MasterPubkey
			return true
		})
	}
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
	eventually(t, 60*time.Second, "a beacon on chain", func() bool { return beaconDelivered(t, gkd, node) > 0 })
	oldIDs := make([]string, len(olds))
	for i, p := range olds {
		oldIDs[i] = infoAt(t, p.RPC).IdentityKey
	}
	t.Logf("devnet up at %s", time.Since(start).Round(time.Second))

	// Blobs of mixed sizes, bytes to a megabyte, through both workers, and
	// an app key.
	sizes := []int{1, 31, 256, 1000, 4096, 10_000, 65_536, 200_000, 1 << 20}
	const blobs = 36
	sums := make(map[string][32]byte, blobs)
	for i := range blobs {
		name := fmt.Sprintf("doc-%02d", i)
		data := make([]byte, sizes[i%len(sizes)]+i)
		_, _ = rand.Read(data)
		appDo(t, http.MethodPut, workers[i%2].AppAPI+"/app/v1/state/demo/"+name, data, http.StatusNoContent)
		sums[name] = sha256.Sum256(data)
	}
	appKey0 := appKey(t, workers[0].AppAPI, "demo", "signing")

	// The keys this run must never log: master key v0 (read while the old
	// gatekeepers still hold it), the cluster key and, at the end, every
	// pRuntime's identity secrets.
	v0 := unsealMasterV0(t, gks[0].DataDir)
	k0, err := crypto.MasterKeyFromSecret(0, v0)
	if err != nil || hex.EncodeToString(k0.PublicKey()) != masterPub {
		t.Fatalf("gatekeeper-0's sealed v0 is not the key on chain (%v)", err)
	}
	ck := k0.ClusterKey(cluster)
	secrets := [][]byte{v0, ck[:]}

	// The successor build's measurement, as `pruntime run --tee sim`
	// without --sim-measurement reports it: the SHA-256 of the executable.
	exe, err := os.ReadFile(succBin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(exe)
	succMeasurement := hex.EncodeToString(sum[:])
	devMeasurement := hex.EncodeToString(pruntime.DevnetMeasurement())
	if succMeasurement == devMeasurement {
		t.Fatal("the successor build has the devnet's measurement")
	}

	// Governance schedules the migration. The activation height leaves
	// the voting period, MinMigrationLeadBlocks (20) after it passes, and
	// time for the successors to sync, register and receive their
	// handovers. Blocks come no faster than the block time, so the voting
	// period spans at most votingBlocks (and the proposal and the vote
	// take a block each); a slower chain leaves the successors more.
	c := &testChain{home: home, chainID: m.ChainID, rpcAddr: node}
	if c.node, err = rpchttp.New(node, "/websocket"); err != nil {
		t.Fatal(err)
	}
	h0 := c.height(t)
	votingBlocks := int64(votingPeriod/blockTime) + 4
	activation := h0 + votingBlocks + 20 + migrationLeadBlocks
	t.Logf("scheduling at height %d: activation at %d", h0, activation)
	gkdRun(t, gkd, "tx", "gatekeeper", "schedule-migration", "sim", succMeasurement, strconv.FormatInt(activation, 10), "pruntime e2e successor",
		"--home", home, "--from", "validator", "--deposit", "10000000stake",
		"--title", "migrate the sim pRuntimes", "--summary", "e2e: migrate to the pruntime binary", "--fees", "2000stake", "-y")
	var propID string
	eventually(t, 20*time.Second, "the migration proposal", func() bool {
		var props struct {
			Proposals []struct {
				ID string `json:"id"`
			} `json:"proposals"`
		}
		gkdJSON(t, gkd, &props, "q", "gov", "proposals", "--home", home)
		// Proposal 1 is the devnet's, designating its gatekeepers.
		if n := len(props.Proposals); n > 1 {
			propID = props.Proposals[n-1].ID
			return true
		}
		return false
	})
	gkdRun(t, gkd, "tx", "gov", "vote", propID, "yes", "--home", home, "--from", "validator", "--fees", "2000stake", "-y")
	var mig migrationView
	eventually(t, votingPeriod+30*time.Second, "the migration scheduled", func() bool {
		mig = queryMigration(t, gkd, node)
		if mig.Phase == "" {
			if st := proposalStatus(t, gkd, home, propID); st != "PROPOSAL_STATUS_VOTING_PERIOD" && st != "PROPOSAL_STATUS_PASSED" {
				t.Fatalf("proposal %s: %s", propID, st)
			}
		}
		return mig.Phase == "MIGRATION_PHASE_SCHEDULED"
	})
	if mig.ActivationHeight != strconv.FormatInt(activation, 10) || len(mig.ReplacedMeasurements) != 1 ||
		b64hex(t, mig.ReplacedMeasurements[0]) != devMeasurement || b64hex(t, mig.Measurement) != succMeasurement {
		t.Fatalf("scheduled migration %+v", mig)
	}
	t.Logf("migration scheduled at height %s (%s)", mig.ScheduledHeight, time.Since(start).Round(time.Second))

	// One successor per devnet pRuntime: same operator, the predecessor
	// named, its own app API on the shared state store.
	succs := make([]*successorProc, len(olds))
	var loops []*relayLoop
	for i, p := range olds {
		s := newSuccessorProc(t, succBin, c, m, p, oldIDs[i])
		succs[i] = s
		if in := s.start(t); in.Measurement != succMeasurement || in.Operator != p.Operator {
			t.Fatalf("successor of %s: measurement %s, operator %s", p.Name, in.Measurement, in.Operator)
		}
		cfg := pherry.DefaultConfig()
		cfg.NodeRPC, cfg.PRuntime, cfg.ChainID = node, s.url, m.ChainID
		cfg.KeyringDir, cfg.KeyringBackend, cfg.KeyName = home, devnetpkg.KeyringBackend, p.OperatorKey
		cfg.PollInterval = 100 * time.Millisecond
		r, err := pherry.New(cfg, slogTo(s.log, "successor of "+p.Name))
		if err != nil {
			t.Fatal(err)
		}
		loops = append(loops, startRelayLoop(t, r, s.log))
	}

	// Every pair ready before the activation height.
	succIDs := make([]string, len(succs))
	eventually(t, 90*time.Second, "five ready pairs", func() bool {
		mig = queryMigration(t, gkd, node)
		ready := 0
		for _, p := range mig.Pairs {
			if p.ReadyHeight != "" && p.ReadyHeight != "0" {
				ready++
			}
		}
		if ready == len(olds) {
			return true
		}
		if c.height(t) >= activation {
			t.Fatalf("activation height %d reached with %d of %d pairs ready: %+v", activation, ready, len(olds), mig.Pairs)
		}
		return false
	})
	for i, s := range succs {
		succIDs[i] = s.info(t).IdentityKey
		if p := pairOf(t, mig, oldIDs[i]); p == nil || b64hex(t, p.Successor) != succIDs[i] {
			t.Fatalf("no pair %s -> %s in %+v", olds[i].Name, succIDs[i], mig.Pairs)
		}
	}
	t.Logf("five pairs ready at height %d of %d (%s)", c.height(t), activation, time.Since(start).Round(time.Second))

	// The activation.
	c.waitHeight(t, activation+1)
	eventually(t, 30*time.Second, "the migration done", func() bool {
		mig = queryMigration(t, gkd, node)
		return mig.Phase == "MIGRATION_PHASE_DONE"
	})
	if mig.ActivatedHeight != strconv.FormatInt(activation, 10) || len(mig.LostGatekeepers) != 0 {
		t.Fatalf("migration after activation: %+v", mig)
	}
	for i, id := range oldIDs {
		p := pairOf(t, mig, id)
		if p == nil || !p.Replaced || p.Faults != 0 || p.Gatekeeper != (i < 3) || (p.ClusterID == "0") != (i < 3) {
			t.Fatalf("%s's pair after activation: %+v", olds[i].Name, p)
		}
	}
	if mig.RetiredWorkers != len(olds) {
		t.Fatalf("%d workers retired, want %d", mig.RetiredWorkers, len(olds))
	}
	if hasMeasurement(t, gkd, home, devMeasurement) || !hasMeasurement(t, gkd, home, succMeasurement) {
		t.Fatal("after activation the devnet measurement is still allowed or the successor's is not")
	}
	t.Logf("activated at height %d (%s)", activation, time.Since(start).Round(time.Second))

	// The gatekeepers are the three successors, live with the same master
	// key, and they answer tasks: a beacon after the activation.
	var onChain struct {
		Gatekeepers []struct {
			IdentityKey string `json:"identity_key"`
			LiveHeight  string `json:"live_height"`
		} `json:"gatekeepers"`
	}
	gkdJSON(t, gkd, &onChain, "q", "gatekeeper", "gatekeepers", "--node", node)
	if len(onChain.Gatekeepers) != 3 {
		t.Fatalf("%d gatekeepers after the migration", len(onChain.Gatekeepers))
	}
	for _, g := range onChain.Gatekeepers {
		if id := b64hex(t, g.IdentityKey); id != succIDs[0] && id != succIDs[1] && id != succIDs[2] {
			t.Fatalf("gatekeeper %s is not a successor gatekeeper", id)
		}
		if g.LiveHeight == "" || g.LiveHeight == "0" {
			t.Fatalf("gatekeeper %s not live", b64hex(t, g.IdentityKey))
		}
	}
	for i, s := range succs[:3] {
		eventually(t, 30*time.Second, "the successor of "+gks[i].Name+" active", func() bool {
			in := s.info(t)
			return in.Role == api.RoleActive && in.MasterPubkey == masterPub && !in.Retired
		})
	}
	eventually(t, 60*time.Second, "a beacon accepted after the activation", func() bool {
		return beaconDelivered(t, gkd, node) > activation
	})

	// The successor workers hold the cluster key; every blob reads back
	// unchanged through them, and the app key is the same.
	for i, s := range succs[3:] {
		eventually(t, 30*time.Second, "the successor of "+workers[i].Name+" holding the cluster key", func() bool {
			in := s.info(t)
			return in.Cluster != nil && in.Cluster.ID == cluster && len(in.Cluster.KeyVersions) > 0
		})
		for name, want := range sums {
			if got := sha256.Sum256(appGet(t, s.appAPI+"/app/v1/state/demo/"+name)); got != want {
				t.Fatalf("successor of %s: %s changed over the migration", workers[i].Name, name)
			}
		}
		if got := appKey(t, s.appAPI, "demo", "signing"); got != appKey0 {
			t.Fatalf("successor of %s derives another app key", workers[i].Name)
		}
	}

	// The old pRuntimes are retired: no role, no cluster, nothing in their
	// app APIs.
	for _, p := range olds {
		eventually(t, 30*time.Second, p.Name+" retired", func() bool {
			in, err := fetchInfo(p.RPC)
			return err == nil && in.Retired && in.Role == api.RoleNone && in.Cluster == nil
		})
	}
	for _, w := range workers {
		if code := appStatus(t, w.AppAPI+"/app/v1/state/demo/doc-00"); code == http.StatusOK {
			t.Fatalf("retired %s still serves a blob", w.Name)
		}
	}

	// What a successor holds survives its restart: it sealed the handed
	// keys under its own measurement.
	for _, s := range []*successorProc{succs[0], succs[3]} {
		s.stop(t)
		s.start(t)
	}
	eventually(t, 30*time.Second, "the restarted successor of "+gks[0].Name+" active", func() bool {
		in := succs[0].info(t)
		return in.Role == api.RoleActive && in.MasterPubkey == masterPub
	})
	eventually(t, 30*time.Second, "the restarted successor of "+workers[0].Name+" holding the cluster key", func() bool {
		in := succs[3].info(t)
		return in.Cluster != nil && in.Cluster.ID == cluster && len(in.Cluster.KeyVersions) > 0
	})
	for name, want := range sums {
		if got := sha256.Sum256(appGet(t, succs[3].appAPI+"/app/v1/state/demo/"+name)); got != want {
			t.Fatalf("%s changed over the restart of a successor", name)
		}
	}
	if got := appKey(t, succs[3].appAPI, "demo", "signing"); got != appKey0 {
		t.Fatal("a restarted successor derives another app key")
	}
	t.Logf("successors verified, one of each role restarted, at %s", time.Since(start).Round(time.Second))

	// On disk: the successor gatekeepers sealed v0 under their own
	// measurement; the old ones' sealed histories are empty.
	for _, l := range loops {
		l.stop()
	}
	d.interrupt(t)
	for _, s := range succs {
		s.stop(t)
	}
	for i, g := range gks {
		// An empty history is removed, not sealed.
		if _, err := os.Stat(filepath.Join(g.DataDir, pruntime.MasterKeysFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("retired %s still has a sealed master key history (%v)", g.Name, err)
		}
		h := unsealHistoryWith(t, succs[i].dataDir, sum[:])
		if len(h) != 1 || !bytes.Equal(h[0], v0) {
			t.Fatalf("the successor of %s seals %d versions, not v0", g.Name, len(h))
		}
	}
	// Nor does any checkpoint a retired pRuntime sealed: it erased its keys.
	for _, p := range olds {
		assertCheckpointsHoldNone(t, p.Name, p.DataDir, pruntime.DevnetMeasurement(), secrets)
	}
	for i, p := range olds {
		secrets = append(secrets, unsealIdentitySecrets(t, p.DataDir)...)
		secrets = append(secrets, unsealIdentitySecretsWith(t, succs[i].dataDir, sum[:])...)
	}
	assertNoSecretsInLogs(t, home, d.out.String(), secrets)
	for i, s := range succs {
		assertNoSecretsIn(t, "successor of "+olds[i].Name+" output", s.log.String(), secrets)
	}
	t.Logf("migration of %d pRuntimes and %d blobs verified in %s", len(olds), blobs, time.Since(start).Round(time.Second))
}

// migrationLeadBlocks is the time the successors get, after the proposal
// passed and MinMigrationLeadBlocks, to start, sync the chain from genesis,
// register and receive their handovers.
const migrationLeadBlocks = 10

// newSuccessorProc prepares the successor of the devnet pRuntime p, whose
// identity key is pred: the pruntime binary with no --sim-measurement,
// operated by p's operator, its app API on the devnet's shared store.
func newSuccessorProc(t *testing.T, bin string, c *testChain, m devnetpkg.Manifest, p devnetpkg.PRuntime, pred string) *successorProc {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", e2etest.FreePort(t))
	appAddr := fmt.Sprintf("127.0.0.1:%d", e2etest.FreePort(t))
	s := &successorProc{
		pruntimeProc: &pruntimeProc{bin: bin, dataDir: t.TempDir(), url: "http://" + addr, log: &syncBuffer{}},
		appAPI:       "http://" + appAddr,
	}
	s.args = []string{"run", "--tee", "sim", "--data-dir", s.dataDir, "--listen", addr,
		"--chain-id", c.chainID, "--operator", p.Operator, "--genesis-validators-hash", m.TrustRoot,
		"--predecessor", pred, "--endpoint", s.url, "--app-listen", appAddr,
		"--state-dir", filepath.Join(m.Home, devnetpkg.StateDir), "--benchmark-duty", "5"}
	t.Cleanup(func() {
		if s.running() {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("successor of %s output:\n%s", p.Name, e2etest.Tail(s.log.String(), 40))
		}
	})
	return s
}

type migrationView struct {
	Phase                string              `json:"phase"`
	Measurement          string              `json:"measurement"`
	ReplacedMeasurements []string            `json:"replaced_measurements"`
	ScheduledHeight      string              `json:"scheduled_height"`
	ActivationHeight     string              `json:"activation_height"`
	ActivatedHeight      string              `json:"activated_height"`
	RetiredWorkers       int                 `json:"retired_workers"`
	LostGatekeepers      []string            `json:"lost_gatekeepers"`
	Pairs                []migrationPairView `json:"pairs"`
}

type migrationPairView struct {
	Predecessor string `json:"predecessor"`
	Successor   string `json:"successor"`
	ReadyHeight string `json:"ready_height"`
	Faults      int    `json:"faults"`
	Gatekeeper  bool   `json:"gatekeeper"`
	ClusterID   string `json:"cluster_id"`
	Replaced    bool   `json:"replaced"`
}

// queryMigration is `gkd q gatekeeper migration -o json`: the pending
// migration or the last one (zero before any).
func queryMigration(t *testing.T, gkd, node string) migrationView {
	t.Helper()
	var resp struct {
		Migration *migrationView `json:"migration"`
	}
	gkdJSON(t, gkd, &resp, "q", "gatekeeper", "migration", "--node", node)
	if resp.Migration == nil {
		return migrationView{}
	}
	return *resp.Migration
}

// pairOf returns the pair of the predecessor pred (hex), or nil.
func pairOf(t *testing.T, m migrationView, pred string) *migrationPairView {
	t.Helper()
	for i, p := range m.Pairs {
		if b64hex(t, p.Predecessor) == pred {
			return &m.Pairs[i]
		}
	}
	return nil
}

func proposalStatus(t *testing.T, gkd, home, id string) string {
	t.Helper()
	var resp struct {
		Proposal struct {
			Status string `json:"status"`
		} `json:"proposal"`
	}
	gkdJSON(t, gkd, &resp, "q", "gov", "proposal", id, "--home", home)
	return resp.Proposal.Status
}

// beaconDelivered returns the block that accepted the latest beacon (0:
// none yet).
func beaconDelivered(t *testing.T, gkd, node string) int64 {
	t.Helper()
	var b struct {
		Beacon *struct {
			DeliveredHeight string `json:"delivered_height"`
		} `json:"beacon"`
	}
	gkdJSON(t, gkd, &b, "q", "gatekeeper", "beacon", "--node", node)
	if b.Beacon == nil {
		return 0
	}
	h, _ := strconv.ParseInt(b.Beacon.DeliveredHeight, 10, 64)
	return h
}

// unsealHistoryWith is unsealHistory for a pRuntime of measurement.
func unsealHistoryWith(t *testing.T, dataDir string, measurement []byte) map[uint32][]byte {
	t.Helper()
	tee, err := pruntime.OpenSimTEE(dataDir, measurement)
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

func b64hex(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return hex.EncodeToString(b)
}

func appStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// assertNoSecretsIn fails if text holds any of secrets in a common encoding.
func assertNoSecretsIn(t *testing.T, what, text string, secrets [][]byte) {
	t.Helper()
	if text == "" {
		t.Fatalf("%s is empty", what)
	}
	for _, s := range secrets {
		for _, enc := range e2etest.SecretEncodings(s) {
			if strings.Contains(text, enc) {
				t.Fatalf("%s contains key material (%d-byte secret)", what, len(s))
			}
		}
	}
}

// successorProc is a successor pRuntime process and its app API.
type successorProc struct {
	*pruntimeProc
	appAPI string
}

func slogTo(w io.Writer, name string) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil)).With("relayer", name)
}

// assertCheckpointsHoldNone unseals every checkpoint under dataDir (sim
// TEE of measurement) and fails if one holds any of secrets.
func assertCheckpointsHoldNone(t *testing.T, name, dataDir string, measurement []byte, secrets [][]byte) {
	t.Helper()
	tee, err := pruntime.OpenSimTEE(dataDir, measurement)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dataDir, "checkpoints", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no checkpoints (%v)", name, err)
	}
	for _, f := range files {
		sealed, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := tee.Unseal(protocol.ContextCheckpoint, sealed)
		if err != nil {
			t.Fatalf("%s: %s does not unseal: %v", name, f, err)
		}
		assertHoldsNone(t, name+" "+filepath.Base(f), raw, secrets)
	}
}
