package pruntime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/appapi"
)

// The sync flood benchmark of issue 12, point 2 (bench/README.md,
// "syncflood"). It lives beside the runtime, not in bench/, because it
// needs a Runtime that holds a cluster key, which only a real chain's
// ingress can give from outside the package.

var (
	flagFloodSenders = flag.Int("syncflood.senders", 4, "concurrent senders of forged headers")
	flagFloodVals    = flag.Int("syncflood.validators", 1000, "validators in each forged header")
	flagFloodSamples = flag.Int("syncflood.samples", 200, "timed calls per probe per round")
	flagFloodRounds  = flag.Int("syncflood.rounds", 5, "interleaved idle and flood rounds")
	flagFloodSlots   = flag.Int("syncflood.slots", 0, "SyncConcurrency of the runtime (0: the default)")
	flagFloodPenalty = flag.Int("syncflood.penalty", -1, "SyncPenalty of the runtime (-1: the default)")
	flagFloodInProc  = flag.Bool("syncflood.inprocess", false, "send the flood from this process instead of a child process at the lowest CPU priority")
)

// forgedSkipping returns a header update for height 1000 of the test chain,
// signed validly by n validators none of which the trusted set holds: the
// forgery that made the runtime check every one of its signatures.
func forgedSkipping(t testing.TB, chainID string, n int) []byte {
	t.Helper()
	vals := make([]*cmttypes.Validator, n)
	keys := map[string]cmted25519.PrivKey{}
	for i := range vals {
		k := cmted25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "flood/%d", i))
		keys[string(k.PubKey().Address())] = k
		vals[i] = cmttypes.NewValidator(k.PubKey(), 10)
	}
	set := cmttypes.NewValidatorSet(vals)
	genesis, _ := testGenesis(t, chainID)
	var gh cmttypes.SignedHeader
	{
		var shp cmtproto.SignedHeader
		if err := shp.Unmarshal(genesis.SignedHeader); err != nil {
			t.Fatal(err)
		}
		sh, err := cmttypes.SignedHeaderFromProto(&shp)
		if err != nil {
			t.Fatal(err)
		}
		gh = *sh
	}
	h := *gh.Header
	h.Height, h.Time = 1000, h.Time.Add(time.Hour)
	h.ValidatorsHash, h.NextValidatorsHash = set.Hash(), set.Hash()
	h.ProposerAddress = set.Validators[0].Address
	commit := &cmttypes.Commit{Height: h.Height, BlockID: cmttypes.BlockID{Hash: h.Hash(), PartSetHeader: gh.Commit.BlockID.PartSetHeader}}
	for i, v := range set.Validators {
		commit.Signatures = append(commit.Signatures, cmttypes.CommitSig{BlockIDFlag: cmttypes.BlockIDFlagCommit, ValidatorAddress: v.Address, Timestamp: h.Time})
		sig, err := keys[string(v.Address)].Sign(commit.VoteSignBytes(chainID, int32(i)))
		if err != nil {
			t.Fatal(err)
		}
		commit.Signatures[i].Signature = sig
	}
	sh, err := (&cmttypes.SignedHeader{Header: &h, Commit: commit}).ToProto().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	vp, err := set.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	vb, err := vp.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(api.HeaderUpdate{SignedHeader: sh, Validators: vb})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// probe times n sequential calls of one kind; every call must answer 200.
func probe(t testing.TB, client *http.Client, n int, call func() (*http.Response, error)) []time.Duration {
	t.Helper()
	lats := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		res, err := call()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("probe: status %d", res.StatusCode)
		}
		lats = append(lats, time.Since(start))
	}
	return lats
}

func pct(lats []time.Duration, q float64) time.Duration {
	s := slices.Clone(lats)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// TestSyncFloodReport measures the p99 latency of /get_info and of an app
// key call idle and under a flood of forged skipping headers, in
// interleaved rounds of the same run, and reports flood/idle.
func TestSyncFloodReport(t *testing.T) {
	if os.Getenv("GK_BENCH") != "1" {
		t.Skip("set GK_BENCH=1 to run the sync flood benchmark")
	}
	e := newSyncEnv(t)
	if *flagFloodSlots > 0 {
		e.r.syncSlots = make(chan struct{}, *flagFloodSlots)
	}
	if *flagFloodPenalty >= 0 {
		e.r.cfg.SyncPenalty = *flagFloodPenalty
	}
	forged := forgedSkipping(t, "test-chain", *flagFloodVals)
	// It must be the forgery we mean: rejected as needing an intermediate
	// header (422), not as malformed.
	if status, body := e.post(t, e.rpc.URL, api.PathSyncHeader, json.RawMessage(forged)); status != http.StatusUnprocessableEntity {
		t.Fatalf("forged header: %d %s, want 422", status, body)
	}
	client := &http.Client{Timeout: liveness}
	keyBody, _ := json.Marshal(appapi.KeyRequest{AppID: "app-1", Path: []string{"db", "snapshot", "v1"}})
	info := func() (*http.Response, error) { return client.Get(e.rpc.URL + api.PathInfo) }
	key := func() (*http.Response, error) {
		return client.Post(e.app.URL+appapi.PathKey, "application/json", bytes.NewReader(keyBody))
	}

	var idleInfo, idleKey, floodInfo, floodKey []time.Duration
	flood := newFlooder(t, e.rpc.URL+api.PathSyncHeader, forged)
	verified, busy, other := &flood.counts[0], &flood.counts[1], &flood.counts[2]
	var floodTime time.Duration
	for round := range *flagFloodRounds + 1 { // round 0 warms up
		ii := probe(t, client, *flagFloodSamples, info)
		ik := probe(t, client, *flagFloodSamples, key)

		started := time.Now()
		flood.on()
		time.Sleep(200 * time.Millisecond) // let the flood build up
		fi := probe(t, client, *flagFloodSamples, info)
		fk := probe(t, client, *flagFloodSamples, key)
		flood.off()
		if round == 0 {
			verified.Store(0)
			busy.Store(0)
			other.Store(0)
			continue
		}
		floodTime += time.Since(started)
		idleInfo, idleKey = append(idleInfo, ii...), append(idleKey, ik...)
		floodInfo, floodKey = append(floodInfo, fi...), append(floodKey, fk...)
	}
	if other.Load() > 0 {
		t.Fatalf("%d forged headers answered neither 422 nor 429", other.Load())
	}
	t.Logf("GOMAXPROCS %d, SyncConcurrency %d, SyncPenalty %d; %d senders of forged skipping headers of %d validators (%d bytes each); %d rounds of %d calls per probe",
		runtime.GOMAXPROCS(0), cap(e.r.syncSlots), e.r.cfg.SyncPenalty, *flagFloodSenders, *flagFloodVals, len(forged), *flagFloodRounds, *flagFloodSamples)
	t.Logf("flood: %d forged headers verified and refused (422) = %.0f/s, %d refused busy (429)",
		verified.Load(), float64(verified.Load())/floodTime.Seconds(), busy.Load())
	for _, p := range []struct {
		name        string
		idle, flood []time.Duration
	}{{"/get_info", idleInfo, floodInfo}, {"app key", idleKey, floodKey}} {
		t.Logf("%-9s idle p50 %8v p99 %8v | flood p50 %8v p99 %8v | p99 flood/idle %.2f",
			p.name, pct(p.idle, 0.5), pct(p.idle, 0.99), pct(p.flood, 0.5), pct(p.flood, 0.99),
			float64(pct(p.flood, 0.99))/float64(pct(p.idle, 0.99)))
	}
}

// floodSenderEnv, when set in a child of TestSyncFloodReport, makes
// TestSyncFloodSender the flood's sender: "URL|body file|senders".
const floodSenderEnv = "GK_SYNCFLOOD_SENDER"

// flooder sends the flood: *flagFloodSenders loops posting the forged
// header. By default the loops run in a child process at the lowest CPU
// priority: the attacker this models is anyone who reaches the RPC over the
// network, whose own CPU is not the pRuntime's (a host that takes the CPU
// can starve any process; no RPC design helps there). With
// -syncflood.inprocess they run in this process.
type flooder struct {
	t      *testing.T
	url    string
	body   []byte
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Scanner
	stop   chan struct{}
	wg     sync.WaitGroup
	counts [3]atomic.Int64 // verified (422), busy (429), other
}

func newFlooder(t *testing.T, url string, body []byte) *flooder {
	t.Helper()
	f := &flooder{t: t, url: url, body: body}
	if *flagFloodInProc {
		return f
	}
	file := filepath.Join(t.TempDir(), "forged.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	f.cmd = exec.Command(os.Args[0], "-test.run=^TestSyncFloodSender$")
	f.cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%s|%d", floodSenderEnv, url, file, *flagFloodSenders))
	var err error
	if f.stdin, err = f.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := f.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	f.stdout = bufio.NewScanner(out)
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, f.cmd.Process.Pid, 19); err != nil {
		t.Logf("flood sender keeps its priority: %v", err)
	}
	t.Cleanup(func() {
		f.stdin.Close()
		_ = f.cmd.Wait()
	})
	return f
}

// on starts the flood.
func (f *flooder) on() {
	if f.cmd != nil {
		fmt.Fprintln(f.stdin, "on")
		return
	}
	f.stop = make(chan struct{})
	for range *flagFloodSenders {
		f.wg.Go(func() { f.add(floodLoop(f.url, f.body, f.stop)) })
	}
}

// off stops the flood and adds its answers to the counts.
func (f *flooder) off() {
	if f.cmd == nil {
		close(f.stop)
		f.wg.Wait()
		return
	}
	fmt.Fprintln(f.stdin, "off")
	for f.stdout.Scan() {
		var v, b, o int64
		if _, err := fmt.Sscanf(f.stdout.Text(), "FLOOD %d %d %d", &v, &b, &o); err == nil {
			f.add(v, b, o)
			return
		}
	}
	f.t.Fatalf("flood sender ended: %v", f.stdout.Err())
}

func (f *flooder) add(v, b, o int64) {
	f.counts[0].Add(v)
	f.counts[1].Add(b)
	f.counts[2].Add(o)
}

// TestSyncFloodSender is the flood's child process (see flooder); run
// alone it skips. Each "on" line on stdin starts the loops, each "off"
// stops them and prints their counts; EOF ends it.
func TestSyncFloodSender(t *testing.T) {
	spec := os.Getenv(floodSenderEnv)
	if spec == "" {
		t.Skip("the sync flood benchmark's sender process")
	}
	parts := strings.Split(spec, "|")
	if len(parts) != 3 {
		t.Fatalf("%s=%q", floodSenderEnv, spec)
	}
	body, err := os.ReadFile(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() != "on" {
			continue
		}
		stop := make(chan struct{})
		var verified, busy, other atomic.Int64
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				v, b, o := floodLoop(parts[0], body, stop)
				verified.Add(v)
				busy.Add(b)
				other.Add(o)
			})
		}
		for in.Scan() && in.Text() != "off" {
		}
		close(stop)
		wg.Wait()
		fmt.Printf("FLOOD %d %d %d\n", verified.Load(), busy.Load(), other.Load())
	}
}

// floodLoop posts body to url until stop closes and counts the answers:
// 422 (verified and refused), 429 (refused busy), anything else.
func floodLoop(url string, body []byte, stop <-chan struct{}) (verified, busy, other int64) {
	c := &http.Client{Timeout: liveness}
	for {
		select {
		case <-stop:
			return
		default:
		}
		res, err := c.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			other++
			continue
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusUnprocessableEntity:
			verified++
		case http.StatusTooManyRequests:
			busy++
		default:
			other++
		}
	}
}
