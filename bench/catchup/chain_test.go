package catchup_test

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/devnet"
	"github.com/gatekeeper-net/gatekeeper/internal/pherry"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// operatorKey is the devnet account that signs every registration and whose
// address every pRuntime is started with.
const operatorKey = "operator"

// chain is a `gkd devnet --workers 0` run for the benchmark.
type chain struct {
	*process
	name     string
	home     string
	rpcAddr  string
	grpcAddr string
	node     *rpchttp.HTTP
	chainID  string
	// trustRoot is the validators hash of header 1, the genesis validator
	// set hash the pRuntimes trust.
	trustRoot []byte
	operator  string // bech32 address of operatorKey
}

// Node modes: how the chain's node runs once the devnet has created it.
const (
	// nodeDevnet keeps `gkd devnet` running: the node, and the devnet's
	// status watcher polling it.
	nodeDevnet = "devnet"
	// nodeStart stops the devnet once it made its first block and runs the
	// node alone on its home, `gkd start --home DIR`, as an operator's
	// node runs: without the devnet's status watcher, which scans every
	// registered worker twice a second (see bench/README.md).
	nodeStart = "start"
)

func startChain(t *testing.T, gkd, name string, offset int, blockTime time.Duration, mode string) *chain {
	t.Helper()
	home := t.TempDir()
	c := &chain{name: name, home: home, rpcAddr: fmt.Sprintf("tcp://127.0.0.1:%d", 26657+offset)}
	c.process = startProcess(t, "devnet "+name, filepath.Join(home, "devnet.out"), gkd, "devnet", "--home", home,
		"--status-interval", "0", "--gatekeepers", "0", "--workers", "0", "--block-time", blockTime.String(),
		"--port-offset", strconv.Itoa(offset))
	var err error
	if c.node, err = rpchttp.New(c.rpcAddr, "/websocket"); err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := c.node.Commit(t.Context(), &one)
		if err == nil {
			c.trustRoot, c.chainID = res.SignedHeader.ValidatorsHash, res.SignedHeader.ChainID
			break
		}
		if e := c.exited(); e != nil {
			t.Fatal(e)
		}
		if time.Now().After(deadline) {
			t.Fatalf("devnet %s: no block 1 within 90s: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m, err := devnet.ReadManifest(home)
	if err != nil {
		t.Fatal(err)
	}
	c.grpcAddr = m.Endpoints.GRPC
	if m.ChainID != c.chainID {
		t.Fatalf("devnet %s: devnet.json names chain %q, header 1 chain %q", name, m.ChainID, c.chainID)
	}
	for _, a := range m.Accounts {
		if a.Name == operatorKey {
			c.operator = a.Address
		}
	}
	if c.operator == "" {
		t.Fatalf("devnet %s: no %q account in devnet.json", name, operatorKey)
	}
	if mode == nodeStart {
		h := c.height(t)
		c.interrupt(t)
		c.process = startProcess(t, "node "+name, filepath.Join(home, "node.out"), gkd, "start", "--home", home, "--log_no_color")
		deadline := time.Now().Add(90 * time.Second)
		for {
			st, err := c.node.Status(t.Context())
			if err == nil && st.SyncInfo.LatestBlockHeight > h {
				break
			}
			if e := c.exited(); e != nil {
				t.Fatal(e)
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s: no new block within 90s of gkd start: %v", name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

// pause stops the node (SIGSTOP) so that it makes no blocks and takes no
// CPU while the other chain is measured; resume lets it go on.
func (c *chain) pause(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
}

func (c *chain) resume(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// The node's RPC answers again once it is scheduled; wait for that so
	// that no measurement starts against a node still waking up.
	for i := 0; ; i++ {
		if _, err := c.node.Status(t.Context()); err == nil {
			return
		} else if i == 100 {
			t.Fatalf("devnet %s: no status after resume: %v", c.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *chain) height(t *testing.T) int64 {
	t.Helper()
	st, err := c.node.Status(t.Context())
	if err != nil {
		t.Fatalf("devnet %s: status: %v", c.name, err)
	}
	return st.SyncInfo.LatestBlockHeight
}

func (c *chain) waitHeight(t *testing.T, h int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for c.height(t) < h {
		if e := c.exited(); e != nil {
			t.Fatal(e)
		}
		if time.Now().After(deadline) {
			t.Fatalf("devnet %s: height %d not reached within %s", c.name, h, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ingressNext returns the index the chain's next ingress entry gets, in the
// state after block height (0: the latest).
func (c *chain) ingressNext(t *testing.T, height int64) uint64 {
	t.Helper()
	// Starting past every entry makes it a query of the log's bounds only.
	b, err := pherry.FetchIngress(t.Context(), c.node, math.MaxUint64, 1, height)
	if err != nil {
		t.Fatalf("devnet %s: %v", c.name, err)
	}
	return b.NextIndex
}

// sender returns a relayer used only to sign and send transactions from the
// operator key; it never talks to a pRuntime.
func (c *chain) sender(t *testing.T) *pherry.Relayer {
	t.Helper()
	r, err := pherry.New(c.relayerConfig("http://127.0.0.1:1", 500), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// relayerConfig is pherry's default configuration for this chain, with the
// operator key from the devnet's keyring.
func (c *chain) relayerConfig(pruntimeURL string, batch int) pherry.Config {
	cfg := pherry.DefaultConfig()
	cfg.NodeRPC = c.rpcAddr
	cfg.PRuntime = pruntimeURL
	cfg.ChainID = c.chainID
	cfg.KeyringDir = c.home
	cfg.KeyName = operatorKey
	cfg.IngressBatch = batch
	cfg.ProgressInterval = time.Hour
	return cfg
}

// loadResult describes how a chain's ingress log was written.
type loadResult struct {
	Txs         int
	FirstHeight int64 // height when the first tx was sent
	Height      int64 // height when loading ended
	Entries     uint64
}

// load appends k worker_registered ingress entries, spread over span
// blocks: k registrations, perTx to a transaction, the transactions sent
// evenly over the span. The first len(own) registrations are those of the
// benchmark's pRuntimes, the rest are simulated workers. It returns once
// the chain has made span blocks since the first transaction and its log
// holds every entry.
func (c *chain) load(t *testing.T, own []api.Registration, k, perTx, span int) loadResult {
	t.Helper()
	sender := c.sender(t)
	before := c.ingressNext(t, 0)
	txs := (k + perTx - 1) / perTx
	res := loadResult{Txs: txs, FirstHeight: c.height(t)}
	for i, made := 0, 0; i < txs; i++ {
		c.waitHeight(t, res.FirstHeight+int64(i*span/txs), 5*time.Minute)
		n := min(perTx, k-made)
		msgs := make([]sdk.Msg, 0, n)
		for range n {
			var reg api.Registration
			if made < len(own) {
				reg = own[made]
			} else {
				var err error
				if reg, err = c.simRegistration(); err != nil {
					t.Fatal(err)
				}
			}
			made++
			msgs = append(msgs, &registrytypes.MsgRegisterWorker{
				Operator: c.operator, Info: reg.Info,
				Attestation: registrytypes.Attestation{TeeKind: reg.TEEKind, Quote: reg.Quote},
			})
		}
		if _, err := sender.Send(t.Context(), 200_000+200_000*uint64(n), msgs...); err != nil {
			t.Fatalf("devnet %s: tx %d of %d registrations: %v", c.name, i, n, err)
		}
	}
	c.waitHeight(t, res.FirstHeight+int64(span), time.Duration(span)*time.Second+time.Minute)
	want := before + uint64(k)
	deadline := time.Now().Add(time.Minute)
	for res.Entries = c.ingressNext(t, 0); res.Entries < want; res.Entries = c.ingressNext(t, 0) {
		if time.Now().After(deadline) {
			t.Fatalf("devnet %s: ingress log holds %d entries, want %d (a registration tx failed in its block?)", c.name, res.Entries, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res.Entries != want {
		t.Fatalf("devnet %s: ingress log holds %d entries, want %d", c.name, res.Entries, want)
	}
	res.Height = c.height(t)
	return res
}

// simRegistration is a simulated worker operated by the operator account:
// fresh identity and receive keys, and a sim quote with the devnet's
// allow-listed measurement over its registration info.
func (c *chain) simRegistration() (api.Registration, error) {
	platform := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	idPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return api.Registration{}, err
	}
	recv, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		return api.Registration{}, err
	}
	info := protocol.RegistrationInfo{
		ChainID: c.chainID, IdentityKey: idPub, ReceiveKey: recv.PublicKey().Bytes(),
		Operator: c.operator, Version: pruntime.Version,
		TrustRoot: protocol.TrustRoot{Height: 0, Hash: c.trustRoot},
	}
	enc, err := info.Encode()
	if err != nil {
		return api.Registration{}, err
	}
	// A little in the past, so that block time is never before it.
	quote := attest.NewSimQuote(platform, [32]byte(pruntime.DevnetMeasurement()), protocol.ReportData(c.chainID, enc), time.Now().Add(-2*time.Second))
	return api.Registration{Info: enc, TEEKind: attest.KindSim, Quote: quote}, nil
}
