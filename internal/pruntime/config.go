package pruntime

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"github.com/cosmos/btcutil/bech32"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Config is the pRuntime's configuration. The chain id, trust root and
// operator are bound into the identity at first start and into every
// attestation; a later start must give the same ones.
type Config struct {
	// DataDir holds the sealed identity and checkpoints.
	DataDir string
	// Listen is the RPC listen address (host:port).
	Listen string
	// ChainID is the chain the pRuntime follows.
	ChainID string
	// TrustRoot is the genesis validator set hash (height 0) or a trusted
	// header (height, hash).
	TrustRoot protocol.TrustRoot
	// Operator is the account that registers the worker and pays its fees.
	Operator string
	// PublicEndpoint, when set, is announced on chain after registration.
	PublicEndpoint string
	// KeepCheckpoints is how many checkpoints stay on disk.
	KeepCheckpoints int
	// CheckpointEvery is the minimum number of blocks between checkpoints
	// while nothing else changed; a new egress message always checkpoints.
	CheckpointEvery int64
	// CheckpointEveryEntries checkpoints after this many applied ingress
	// entries, so that catching up on a long backlog survives crashes.
	CheckpointEveryEntries uint64
	// AppListen is the worker app API's listen address (host:port); empty
	// turns it off. The API hands out keys with no authentication of its
	// own, so it is served apart from the RPC and must be a loopback address.
	AppListen string
	// StateDir is the state store's directory; empty means DataDir/state.
	StateDir string
	// StateStore, if not empty, is an S3-compatible state store in place of
	// StateDir: s3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&secure=..] (see
	// internal/statestore/s3.ParseURL), its credentials in the environment.
	StateStore string
	// Predecessor, for a successor pRuntime of a scheduled migration, is the
	// identity key (32 bytes) of the registered pRuntime it replaces; it is
	// attested in the registration.
	Predecessor []byte
	// StatePolicy is how the app API writes state blobs, and so what a master
	// key rotation does to them (docs/state-policies.md).
	StatePolicy StatePolicy
	// BenchmarkDuty is the share of one core, in percent (1-100), that the
	// benchmark uses while this worker computes. Its measured speed is the
	// p the tokenomic model pays for, so production workers run 100;
	// development networks sharing a laptop run less and earn accordingly.
	BenchmarkDuty int
	// RotationProposeBlocks is how long each gatekeeper of a rotation's
	// snapshot waits, in blocks, for the one before it (in key order) to
	// get a proposal taken before it proposes itself: the first proposes at
	// once, the second after this many blocks without a proposal, and so on.
	RotationProposeBlocks int64
	// ReencryptDelayBlocks is how many blocks a gatekeeper waits, after the
	// new cluster keys of a rotation are on chain, before it rewrites saved
	// state under them: the time for the workers to receive their copies,
	// so that they can read what was rewritten.
	ReencryptDelayBlocks int64
	// ReencryptReportInterval is how often a running re-encryption reports
	// its progress on chain (and logs it); the end is always reported.
	ReencryptReportInterval time.Duration
	// SyncConcurrency is how many sync requests (/sync/*) the RPC serves at
	// once; more are refused at once with 429 (ErrSyncBusy), before their
	// body is read. The relayer sends one at a time; the default 2 leaves
	// room for one more (an operator's tool) while a flood of requests costs
	// at most that many cores.
	SyncConcurrency int
	// SyncPenalty: a sync request refused as the sender's fault (400, 413,
	// 422) keeps its slot for SyncPenalty times its own handling time, so a
	// flood of forged requests gets at most 1/(1+SyncPenalty) of the sync
	// slots' cores. 0 turns it off; at most MaxSyncPenalty.
	SyncPenalty int
	// SyncListen, when set, is a second RPC listen address (host:port) that
	// serves every endpoint; Listen then serves all but the relayer's sync
	// endpoints (/sync/*), which anyone who reaches Listen could otherwise
	// flood to keep the relayer's calls out (429). Point the relayer here and
	// let only it reach this address. Empty: Listen serves everything.
	SyncListen string
	// ReadyMaxLag is how old, by the host clock, the newest verified
	// header may be before /ready answers not ready (lagging). It is off
	// consensus: nothing the enclave signs depends on it.
	ReadyMaxLag time.Duration
}

// ErrInvalidOperator is an operator that is not a canonical account address
// of the chain.
// The message names the flag setting Config.Operator, as Validate's
// errors do.
var ErrInvalidOperator = errors.New("pruntime: --operator: not an account address of the chain")

// ValidateOperator checks that op is an account address as the chain
// writes it: bech32 with protocol.AccountAddressPrefix, a valid checksum,
// 20 bytes (a key's address) or 32 (a derived account), lower case with
// nothing around it. The operator is sealed into the identity at first start
// and the chain registers the worker only from a transaction signed by that
// exact string's account, so a typo would make the identity useless for
// good; it is refused before anything is sealed.
func ValidateOperator(op string) error {
	if op == "" || len(op) > protocol.MaxOperatorLen {
		return fmt.Errorf("%w: %d characters, want a bech32 account of at most %d", ErrInvalidOperator, len(op), protocol.MaxOperatorLen)
	}
	// The SDK's own bech32 (which the enclave must not link) is this
	// library with these two steps; the chain accepts exactly what they do.
	hrp, data, err := bech32.Decode(op, 1023)
	if err != nil {
		return fmt.Errorf("%w: %q is not bech32: %v", ErrInvalidOperator, op, err)
	}
	addr, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return fmt.Errorf("%w: %q is not bech32: %v", ErrInvalidOperator, op, err)
	}
	if hrp != protocol.AccountAddressPrefix {
		return fmt.Errorf("%w: %q has prefix %q, want the chain's account prefix %q", ErrInvalidOperator, op, hrp, protocol.AccountAddressPrefix)
	}
	if len(addr) != 20 && len(addr) != 32 {
		return fmt.Errorf("%w: %q is %d bytes, want an account of 20 or 32", ErrInvalidOperator, op, len(addr))
	}
	// The chain compares the sealed string with the signer's address as the
	// SDK prints it: lower case (bech32 also decodes all upper case).
	if canon, err := canonicalAddress(hrp, addr); err != nil || canon != op {
		return fmt.Errorf("%w: %q is not in canonical form (%q)", ErrInvalidOperator, op, canon)
	}
	return nil
}

// MaxSyncConcurrency bounds Config.SyncConcurrency.
const MaxSyncConcurrency = 16

// MaxSyncPenalty bounds Config.SyncPenalty.
const MaxSyncPenalty = 100

// StatePolicy is a deployment's choice of what a master key rotation does
// to saved state.
type StatePolicy string

const (
	// StatePolicyReencrypt: each blob is AES-256-GCM under its cluster key
	// version (format 1); a rotation decrypts and encrypts every byte again,
	// so once the old version is erased nothing encrypted before the
	// rotation can be decrypted with any key that still exists.
	StatePolicyReencrypt StatePolicy = "reencrypt"
	// StatePolicyRewrap: each blob has its own data key, wrapped under the
	// cluster key version (format 2, envelope); a rotation only rewraps the
	// data keys, at a cost independent of blob size, and gives up forward
	// secrecy for the data: a blob's data key survives every rotation.
	StatePolicyRewrap StatePolicy = "rewrap"
)

// StateStoreDir is StateDir, or its default under DataDir.
func (c Config) StateStoreDir() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	return filepath.Join(c.DataDir, "state")
}

// DefaultConfig returns defaults; DataDir, ChainID, TrustRoot and Operator
// must be set.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:8000", KeepCheckpoints: 3, CheckpointEvery: 50, CheckpointEveryEntries: 1000, BenchmarkDuty: 100,
		StatePolicy: StatePolicyReencrypt, RotationProposeBlocks: 10, ReencryptDelayBlocks: 3, ReencryptReportInterval: 3 * time.Second,
		SyncConcurrency: 2, SyncPenalty: 9, ReadyMaxLag: DefaultReadyMaxLag}
}

// DefaultReadyMaxLag is Config.ReadyMaxLag's default: about twelve blocks
// at five seconds, sixty at one; the relayer polls every second.
const DefaultReadyMaxLag = time.Minute

// MinReadyMaxLag bounds Config.ReadyMaxLag from below: a verified header is
// at least a block time old.
const MinReadyMaxLag = time.Second

// Validate names the first wrong field by the flag (pruntime run) that
// sets it, which is what an operator can act on.
func (c Config) Validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("pruntime: --data-dir: required")
	case c.Listen == "":
		return errors.New("pruntime: --listen: required")
	case c.ChainID == "" || len(c.ChainID) > protocol.MaxChainIDLen:
		return fmt.Errorf("pruntime: --chain-id: %q must be 1-%d characters", c.ChainID, protocol.MaxChainIDLen)
	case len(c.TrustRoot.Hash) != 32:
		return fmt.Errorf("pruntime: --genesis-validators-hash or --trust-hash: %d bytes, want 32", len(c.TrustRoot.Hash))
	case ValidateOperator(c.Operator) != nil:
		return ValidateOperator(c.Operator)
	case c.KeepCheckpoints < 2:
		return fmt.Errorf("pruntime: --keep-checkpoints: %d, want at least 2", c.KeepCheckpoints)
	case c.CheckpointEvery < 1:
		return fmt.Errorf("pruntime: --checkpoint-every: %d, want at least 1", c.CheckpointEvery)
	case c.CheckpointEveryEntries < 1:
		return fmt.Errorf("pruntime: --checkpoint-every-entries: %d, want at least 1", c.CheckpointEveryEntries)
	case c.BenchmarkDuty < 1 || c.BenchmarkDuty > 100:
		return fmt.Errorf("pruntime: --benchmark-duty: %d%%, want 1-100", c.BenchmarkDuty)
	case len(c.Predecessor) != 0 && len(c.Predecessor) != protocol.IdentityKeyLen:
		return fmt.Errorf("pruntime: --predecessor: %d bytes, want an identity key of %d", len(c.Predecessor), protocol.IdentityKeyLen)
	case c.StatePolicy != StatePolicyReencrypt && c.StatePolicy != StatePolicyRewrap:
		return fmt.Errorf("pruntime: --state-policy: %q, want %q or %q", c.StatePolicy, StatePolicyReencrypt, StatePolicyRewrap)
	case c.RotationProposeBlocks < 1:
		return fmt.Errorf("pruntime: --rotation-propose-blocks: %d, want at least 1", c.RotationProposeBlocks)
	case c.ReencryptDelayBlocks < 0:
		return fmt.Errorf("pruntime: --reencrypt-delay-blocks: %d, want at least 0", c.ReencryptDelayBlocks)
	case c.SyncConcurrency < 1 || c.SyncConcurrency > MaxSyncConcurrency:
		return fmt.Errorf("pruntime: --sync-concurrency: %d, want 1-%d", c.SyncConcurrency, MaxSyncConcurrency)
	case c.SyncPenalty < 0 || c.SyncPenalty > MaxSyncPenalty:
		return fmt.Errorf("pruntime: --sync-penalty: %d, want 0-%d", c.SyncPenalty, MaxSyncPenalty)
	case c.ReadyMaxLag < MinReadyMaxLag:
		return fmt.Errorf("pruntime: --ready-max-lag: %s, want at least %s", c.ReadyMaxLag, MinReadyMaxLag)
	case c.ReencryptReportInterval < 100*time.Millisecond:
		return fmt.Errorf("pruntime: --reencrypt-report-interval: %s, want at least 100ms", c.ReencryptReportInterval)
	}
	if c.SyncListen != "" {
		if _, _, err := net.SplitHostPort(c.SyncListen); err != nil || c.SyncListen == c.Listen || c.SyncListen == c.AppListen {
			return fmt.Errorf("pruntime: --sync-listen: %q must be a host:port other than --listen and --app-listen", c.SyncListen)
		}
	}
	if c.AppListen != "" {
		host, _, err := net.SplitHostPort(c.AppListen)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("pruntime: --app-listen: %q must be a loopback host:port (the app API hands out keys)", c.AppListen)
		}
	}
	if c.PublicEndpoint != "" {
		u, err := url.Parse(c.PublicEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(c.PublicEndpoint) > protocol.MaxEndpointLen {
			return fmt.Errorf("pruntime: --endpoint: %q is not an http(s) URL", c.PublicEndpoint)
		}
	}
	return nil
}

// canonicalAddress encodes addr as the SDK prints an account address.
func canonicalAddress(hrp string, addr []byte) (string, error) {
	data, err := bech32.ConvertBits(addr, 8, 5, true)
	if err != nil {
		return "", err
	}
	return bech32.Encode(hrp, data)
}
