package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/e2etest"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/checkpoint"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// The pRuntime scenarios share these pieces: a devnet chain and its node
// client, simulated worker registrations that fill the ingress log, a
// pRuntime process that can be killed and restarted on its data dir, and a
// relayer loop that can be paused while a test looks at the pRuntime.

// testChain is a `gkd devnet` started for one test, by default without
// pRuntimes of its own.
type testChain struct {
	home    string
	chainID string
	rpcAddr string
	node    *rpchttp.HTTP
	// trustRoot is the validators hash of header 1: the genesis validator
	// set hash a pRuntime is started with.
	trustRoot []byte
	// accounts maps the devnet's key names (validator, faucet, operator)
	// to their addresses.
	accounts map[string]string
}

// startChain starts a devnet with no pRuntimes of its own; extra flags
// (later ones win) change that.
func startChain(t *testing.T, extra ...string) *testChain {
	t.Helper()
	gkd := gkdBinary(t)
	home := t.TempDir()
	offset := e2etest.FreePortOffset(t, 0)
	args := []string{"--port-offset", strconv.Itoa(offset), "--block-time", "300ms", "--voting-period", "4s", "--gatekeepers", "0", "--workers", "0"}
	startDevnet(t, gkd, home, append(args, extra...)...)
	c := &testChain{home: home, rpcAddr: fmt.Sprintf("tcp://127.0.0.1:%d", 26657+offset)}
	var err error
	if c.node, err = rpchttp.New(c.rpcAddr, "/websocket"); err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	eventually(t, 60*time.Second, "the devnet's first block", func() bool {
		res, err := c.node.Commit(t.Context(), &one)
		if err != nil {
			return false
		}
		c.trustRoot = res.SignedHeader.ValidatorsHash
		c.chainID = res.SignedHeader.ChainID
		return true
	})
	var m struct {
		ChainID  string `json:"chain_id"`
		Accounts []struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		} `json:"accounts"`
	}
	b, err := os.ReadFile(filepath.Join(home, "devnet.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.ChainID != c.chainID {
		t.Fatalf("devnet.json names chain %q, header 1 chain %q", m.ChainID, c.chainID)
	}
	c.accounts = make(map[string]string)
	for _, a := range m.Accounts {
		c.accounts[a.Name] = a.Address
	}
	return c
}

// height returns the node's latest block height.
func (c *testChain) height(t *testing.T) int64 {
	t.Helper()
	st, err := c.node.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st.SyncInfo.LatestBlockHeight
}

// waitHeight waits until the chain has committed block h.
func (c *testChain) waitHeight(t *testing.T, h int64) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("height %d", h), func() bool { return c.height(t) >= h })
}

// ingressNext returns the index the chain's next ingress entry gets, in the
// state after block height (0: the latest).
func (c *testChain) ingressNext(t *testing.T, height int64) uint64 {
	t.Helper()
	// Starting past every entry makes it a query of the log's bounds only.
	b, err := pherry.FetchIngress(t.Context(), c.node, math.MaxUint64, 1, height)
	if err != nil {
		t.Fatal(err)
	}
	return b.NextIndex
}

// relayerConfig is the relayer configuration the scenarios use: key from
// the devnet's keyring, short polls, small ingress batches so that a sync
// takes many requests.
func (c *testChain) relayerConfig(key, pruntimeURL string) pherry.Config {
	cfg := pherry.DefaultConfig()
	cfg.NodeRPC = c.rpcAddr
	cfg.PRuntime = pruntimeURL
	cfg.ChainID = c.chainID
	cfg.KeyringDir = c.home
	cfg.KeyName = key
	cfg.IngressBatch = 25
	cfg.PollInterval = 100 * time.Millisecond
	return cfg
}

func (c *testChain) relayer(t *testing.T, key, pruntimeURL string, log io.Writer) *pherry.Relayer {
	t.Helper()
	r, err := pherry.New(c.relayerConfig(key, pruntimeURL), slog.New(slog.NewTextHandler(log, nil)).With("relayer", key))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sender returns a relayer used only to sign and send transactions from key;
// it never talks to a pRuntime.
func (c *testChain) sender(t *testing.T, key string) *pherry.Relayer {
	t.Helper()
	return c.relayer(t, key, "http://127.0.0.1:1", io.Discard)
}

// maxRegistrationsPerTx keeps a registration transaction well inside the
// mempool's size limit (each message carries about 1.5 KB).
const maxRegistrationsPerTx = 50

// registerSimWorkers registers n simulated workers, operated by the sender's
// account, and waits until their n worker_registered entries are in the
// ingress log.
func (c *testChain) registerSimWorkers(t *testing.T, sender *pherry.Relayer, n int) {
	t.Helper()
	before := c.ingressNext(t, 0)
	for sent := 0; sent < n; {
		k := min(n-sent, maxRegistrationsPerTx)
		if err := c.sendSimRegistrations(t.Context(), sender, k); err != nil {
			t.Fatal(err)
		}
		sent += k
	}
	want := before + uint64(n)
	eventually(t, 60*time.Second, fmt.Sprintf("ingress to reach %d entries", want), func() bool {
		return c.ingressNext(t, 0) >= want
	})
}

// sendSimRegistrations sends one transaction registering k simulated
// workers operated by the sender's account; it returns once the node
// accepted it into its mempool. Each worker gets fresh keys and a sim quote
// over its registration info with the devnet's allow-listed measurement, so
// each registration appends one worker_registered ingress entry.
func (c *testChain) sendSimRegistrations(ctx context.Context, sender *pherry.Relayer, k int) error {
	platform := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	measurement := [32]byte(pruntime.DevnetMeasurement())
	operator := sender.Operator().String()
	msgs := make([]sdk.Msg, k)
	for i := range msgs {
		idPub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		recv, err := hpke.MLKEM768X25519().GenerateKey()
		if err != nil {
			return err
		}
		info := protocol.RegistrationInfo{
			ChainID: c.chainID, IdentityKey: idPub, ReceiveKey: recv.PublicKey().Bytes(),
			Operator: operator, Version: pruntime.Version,
			TrustRoot: protocol.TrustRoot{Height: 0, Hash: c.trustRoot},
		}
		enc, err := info.Encode()
		if err != nil {
			return err
		}
		// A little in the past, so that block time is never before it.
		quote := attest.NewSimQuote(platform, measurement, protocol.ReportData(c.chainID, enc), time.Now().Add(-2*time.Second))
		msgs[i] = &registrytypes.MsgRegisterWorker{
			Operator: operator, Info: enc,
			Attestation: registrytypes.Attestation{TeeKind: attest.KindSim, Quote: quote},
		}
	}
	if _, err := sender.Send(ctx, 200_000+200_000*uint64(k), msgs...); err != nil {
		return fmt.Errorf("registering %d sim workers: %w", k, err)
	}
	return nil
}

// pruntimeProc is the pruntime binary run on one data dir and port, across
// any number of starts; its output from all of them is in log.
type pruntimeProc struct {
	bin     string
	args    []string
	dataDir string
	url     string
	log     *syncBuffer
	starts  int

	cmd  *exec.Cmd
	done chan error
}

// newPruntimeProc prepares a pRuntime for chain c, operated by the account
// operatorKey, announcing its own URL as endpoint once registered.
func newPruntimeProc(t *testing.T, c *testChain, operatorKey string) *pruntimeProc {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", e2etest.FreePort(t))
	p := &pruntimeProc{
		bin:     pruntimeBinary(t),
		dataDir: t.TempDir(),
		url:     "http://" + addr,
		log:     &syncBuffer{},
	}
	p.args = []string{"run", "--data-dir", p.dataDir, "--listen", addr,
		"--chain-id", c.chainID, "--operator", c.accounts[operatorKey],
		"--genesis-validators-hash", hex.EncodeToString(c.trustRoot),
		"--sim-measurement", hex.EncodeToString(pruntime.DevnetMeasurement()),
		"--endpoint", p.url, "--benchmark-duty", "5"}
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("pruntime %s output (%d starts):\n%s", p.dataDir, p.starts, e2etest.Tail(p.log.String(), 60))
		}
	})
	return p
}

func (p *pruntimeProc) running() bool { return p.cmd != nil && p.cmd.ProcessState == nil }

// start runs the pRuntime and returns its /get_info as soon as it answers.
func (p *pruntimeProc) start(t *testing.T) api.Info {
	t.Helper()
	if p.running() {
		t.Fatal("pruntime already running")
	}
	p.starts++
	fmt.Fprintf(p.log, "=== start %d\n", p.starts)
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(p.cmd, p.done)
	client := api.NewClient(p.url)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		info, err := client.Info(ctx)
		cancel()
		if err == nil {
			return info
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("pruntime exited at start %d: %v", p.starts, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pruntime did not answer within 20s of start %d: %v", p.starts, err)
		}
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *pruntimeProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *pruntimeProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("pruntime exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("pruntime did not stop within 30s of SIGTERM")
	}
}

func (p *pruntimeProc) info(t *testing.T) api.Info { t.Helper(); return infoAt(t, p.url) }

func infoAt(t *testing.T, url string) api.Info {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	info, err := api.NewClient(url).Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// relayLoop drives a relayer round by round, as Relayer.Run does, and can be
// paused between rounds: a round holds the one token in gate.
type relayLoop struct {
	gate   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startRelayLoop(t *testing.T, r *pherry.Relayer, log io.Writer) *relayLoop {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &relayLoop{gate: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	l.gate <- struct{}{}
	go func() {
		defer close(l.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.gate:
			}
			busy, err := r.Step(ctx)
			l.gate <- struct{}{}
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(log, "relay round failed: %v\n", err)
			}
			if busy && err == nil {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(l.stop)
	return l
}

// pause waits for the round in progress to end and holds the next one.
func (l *relayLoop) pause() { <-l.gate }

// resume lets rounds run again after pause.
func (l *relayLoop) resume() { l.gate <- struct{}{} }

// stop ends the loop, paused or not.
func (l *relayLoop) stop() {
	l.once.Do(func() {
		l.cancel()
		<-l.done
	})
}

// waitSynced waits until the pRuntime at url has applied every ingress entry
// the chain holds at its proof height, announced and had acknowledged all its
// egress, and follows a chain whose ingress log has stopped growing.
func waitSynced(t *testing.T, c *testChain, url string, timeout time.Duration) api.Info {
	t.Helper()
	var info api.Info
	eventually(t, timeout, "the pRuntime to catch up with the chain", func() bool {
		info = infoAt(t, url)
		return info.ProofHeight > 0 && info.PendingEgress == 0 &&
			info.NextIngress == c.ingressNext(t, info.ProofHeight) && info.NextIngress == c.ingressNext(t, 0)
	})
	return info
}

// checkpointState is the part of a checkpoint's payload (the runtime's state,
// JSON, internal/pruntime/state.go) the scenarios check.
type checkpointState struct {
	NextIngress      uint64 `json:"next_ingress"`
	CheckpointHeight int64  `json:"checkpoint_height"`
}

// latestCheckpoint opens the checkpoints under a pRuntime's data dir with
// the pRuntime's own sealing key and returns the newest usable one, as the
// pRuntime's next start will. The pRuntime must not be running.
func latestCheckpoint(t *testing.T, dataDir string) (checkpointState, checkpoint.Checkpoint, []checkpoint.Skipped) {
	t.Helper()
	return latestCheckpointIn(t, dataDir, filepath.Join(dataDir, "checkpoints"))
}

// latestCheckpointIn is latestCheckpoint for checkpoints in dir, sealed by
// the pRuntime with dataDir.
func latestCheckpointIn(t *testing.T, dataDir, dir string) (checkpointState, checkpoint.Checkpoint, []checkpoint.Skipped) {
	t.Helper()
	tee, err := pruntime.OpenSimTEE(dataDir, pruntime.DevnetMeasurement())
	if err != nil {
		t.Fatal(err)
	}
	store, err := checkpoint.Open(checkpoint.Config{Dir: dir, Keep: checkpoint.DefaultKeep}, tee)
	if err != nil {
		t.Fatal(err)
	}
	cp, skipped, err := store.Latest()
	if err != nil {
		t.Fatalf("latest checkpoint in %s: %v (skipped %v)", dir, err, skipped)
	}
	var st checkpointState
	if err := json.Unmarshal(cp.Payload, &st); err != nil {
		t.Fatalf("checkpoint %s: %v", cp.File, err)
	}
	return st, cp, skipped
}

// dirDigest maps every file under dir to the SHA-256 of its contents, so
// that a test can tell whether anything in it changed.
func dirDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[strings.TrimPrefix(path, dir)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// postRaw sends body to a pRuntime endpoint and returns the status and the
// error message of a non-2xx answer.
func postRaw(t *testing.T, base, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	var e api.Error
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		e.Error = string(b)
	}
	return resp.StatusCode, e.Error
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
