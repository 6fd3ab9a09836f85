package pherry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// fakeChain stands in for the node: it answers registrations with checkTx
// and their DeliverTx results with deliverTx, and records the heights it
// was sent one at.
type fakeChain struct {
	height    int64
	checkTx   *TxError // nil: CheckTx accepts
	deliverTx *TxError // nil: the tx is not in a block yet
	sentAt    []int64
}

func testRelayer(t *testing.T, c *fakeChain) (*Relayer, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	r := &Relayer{
		cfg:     Config{PollInterval: 5 * time.Second, ProgressInterval: time.Nanosecond, NodeRPC: "tcp://node:26657", PRuntime: "http://pruntime:8000"},
		signer:  &signer{addr: sdk.AccAddress(bytes.Repeat([]byte{1}, 20))},
		log:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		metrics: newMetrics(),
		fetchRegistration: func(context.Context) (api.Registration, error) {
			return api.Registration{Info: []byte("info"), TEEKind: "sgx", Quote: []byte("quote")}, nil
		},
		send: func(_ context.Context, _ uint64, msgs ...sdk.Msg) (string, error) {
			if _, ok := msgs[0].(*registrytypes.MsgRegisterWorker); !ok || len(msgs) != 1 {
				t.Fatalf("sent %v, want one MsgRegisterWorker", msgs)
			}
			c.sentAt = append(c.sentAt, c.height)
			if c.checkTx != nil {
				return "AB", c.checkTx
			}
			return "AB", nil
		},
		deliverResult: func(context.Context, string) (*TxError, error) {
			if c.deliverTx == nil {
				return nil, errTxNotFound
			}
			if c.deliverTx.Codespace == "" {
				return nil, errors.New(c.deliverTx.Log)
			}
			return c.deliverTx, nil
		},
	}
	return r, &logs
}

func registryErr(e interface{ ABCICode() uint32 }, log string) *TxError {
	return &TxError{Codespace: registrytypes.ModuleName, Code: e.ABCICode(), Log: log}
}

func TestRegistrationRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		checkTx   *TxError
		deliverTx *TxError
		wantSent  []int64
		wantState regState
		wantLog   []string
	}{
		{
			name:      "measurement not allowed in CheckTx is sent once",
			checkTx:   registryErr(registrytypes.ErrMeasurementNotAllowed, "pRuntime measurement not allowed: 0xabc"),
			wantSent:  []int64{10},
			wantState: regRefused,
			wantLog:   []string{"not sending it again", "codespace=registry", "code=13", "measurement not allowed: 0xabc", "allow-measurement"},
		},
		{
			name:      "wrong chain is sent once",
			checkTx:   registryErr(registrytypes.ErrWrongChain, "registration info is for another chain"),
			wantSent:  []int64{10},
			wantState: regRefused,
			wantLog:   []string{"not sending it again", "code=5", "for another chain", "--chain-id"},
		},
		{
			name:      "debug TEE refused in DeliverTx is sent once",
			deliverTx: registryErr(registrytypes.ErrDebugTEENotAllowed, "TEE launched in debug mode not allowed on this chain"),
			wantSent:  []int64{10},
			wantState: regRefused,
			wantLog:   []string{"not sending it again", "code=51", "debug mode"},
		},
		{
			name:      "missing collateral retries with a backoff in blocks",
			checkTx:   registryErr(registrytypes.ErrNoCollateral, "no collateral stored"),
			wantSent:  []int64{10, 20, 40, 80, 160, 320, 480},
			wantState: regRetrying,
			wantLog:   []string{"sending it again later", "code=46", "no collateral stored", "retry_in_blocks=160"},
		},
		{
			name:      "insufficient fee retries with a backoff in blocks",
			checkTx:   &TxError{Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrInsufficientFee.ABCICode(), Log: "insufficient fees"},
			wantSent:  []int64{10, 20, 40, 80, 160, 320, 480},
			wantState: regRetrying,
			wantLog:   []string{"sending it again later", "codespace=sdk", "insufficient fees"},
		},
		{
			// The operator's other relayers share its account: a sequence
			// taken under the signer is contention, not a verdict, and must
			// not hold a successor's registration back for blocks (the
			// migration e2e test activates within 30 blocks of scheduling).
			name:      "a wrong account sequence is sent again at the next block, uncounted",
			checkTx:   &TxError{Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrWrongSequence.ABCICode(), Log: "account sequence mismatch, expected 12, got 11"},
			wantSent:  heights(10, 500),
			wantState: regRetrying,
			wantLog:   []string{"lost a race for the operator account's sequence", "code=32"},
		},
		{
			name:      "a node that cannot tell the result does not stop the relay",
			deliverTx: &TxError{Code: 1, Log: "transaction indexing is disabled"}, // see deliverResult below
			wantSent:  []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100},
			wantState: regSubmitted,
			wantLog:   []string{"registration result not available"},
		},
		{
			name:      "accepted but not yet seen is sent again every registerRetryBlocks",
			wantSent:  []int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100},
			wantState: regSubmitted,
			wantLog:   []string{"registration accepted into the mempool"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeChain{checkTx: tc.checkTx, deliverTx: tc.deliverTx}
			r, logs := testRelayer(t, c)
			last := int64(500)
			if tc.wantState == regSubmitted {
				last = 100
			}
			for c.height = 10; c.height <= last; c.height++ {
				if err := r.maybeRegister(context.Background(), api.Info{IdentityKey: "00"}, c.height); err != nil {
					t.Fatalf("height %d: %v", c.height, err)
				}
			}
			if !slices.Equal(c.sentAt, tc.wantSent) {
				t.Errorf("sent at heights %v, want %v", c.sentAt, tc.wantSent)
			}
			if r.reg.state != tc.wantState {
				t.Errorf("state %v, want %v", r.reg.state, tc.wantState)
			}
			out := logs.String()
			for _, want := range tc.wantLog {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			if tc.checkTx != nil && strings.Contains(out, "accepted into the mempool") {
				t.Errorf("a refused registration was logged as accepted:\n%s", out)
			}
		})
	}
}

// A registration seen in ingress ends the refusals: the next refusal
// starts the backoff over.
func TestRegistrationRegisteredResets(t *testing.T) {
	t.Parallel()
	c := &fakeChain{checkTx: registryErr(registrytypes.ErrCollateralExpired, "collateral expired")}
	r, _ := testRelayer(t, c)
	ctx := context.Background()
	for c.height = 10; c.height < 40; c.height++ {
		if err := r.maybeRegister(ctx, api.Info{}, c.height); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.maybeRegister(ctx, api.Info{Registered: true}, c.height); err != nil {
		t.Fatal(err)
	}
	if r.reg.state != regRegistered || r.reg.refusals != 0 {
		t.Fatalf("state %v with %d refusals, want registered with none", r.reg.state, r.reg.refusals)
	}
	c.sentAt = nil
	r.reg.state = regPending // e.g. a worker removed by governance
	for c.height = 100; c.height <= 130; c.height++ {
		if err := r.maybeRegister(ctx, api.Info{}, c.height); err != nil {
			t.Fatal(err)
		}
	}
	if want := []int64{100, 110, 130}; !slices.Equal(c.sentAt, want) {
		t.Errorf("sent at %v, want %v", c.sentAt, want)
	}
}

func TestRunBacksOff(t *testing.T) {
	t.Parallel()
	nodeDown := fmt.Errorf("%w (tcp://node:26657): connection refused", ErrNodeUnreachable)
	other := errors.New("pherry: ingress 3..4: boom")
	type round struct {
		busy bool
		err  error
	}
	s := time.Second
	for _, tc := range []struct {
		name      string
		rounds    []round
		wantWaits []time.Duration
		wantLog   []string
		notLog    []string
	}{
		{
			name:      "node down doubles to the cap",
			rounds:    slices.Repeat([]round{{err: nodeDown}}, 9),
			wantWaits: []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s},
			wantLog:   []string{"node down; retrying", "sync stalled", "retry_in=1m0s"},
			notLog:    []string{"caught up"},
		},
		{
			name:      "a round that succeeds resets the backoff",
			rounds:    []round{{err: other}, {err: other}, {err: other}, {}, {err: other}},
			wantWaits: []time.Duration{1 * s, 2 * s, 4 * s, 5 * s, 1 * s},
			wantLog:   []string{"relay round failed; retrying"},
		},
		{
			name:      "a busy round goes on at once",
			rounds:    []round{{busy: true}, {busy: true}, {err: other}, {}},
			wantWaits: []time.Duration{1 * s, 5 * s},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, logs := testRelayer(t, &fakeChain{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			step := func(context.Context) (bool, error) {
				if n == len(tc.rounds) {
					cancel()
					return false, ctx.Err()
				}
				n++
				return tc.rounds[n-1].busy, tc.rounds[n-1].err
			}
			var waits []time.Duration
			sleep := func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}
			if err := r.run(ctx, step, sleep); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(waits, tc.wantWaits) {
				t.Errorf("waits %v, want %v", waits, tc.wantWaits)
			}
			out := logs.String()
			for _, want := range tc.wantLog {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			for _, not := range tc.notLog {
				if strings.Contains(out, not) {
					t.Errorf("log has %q:\n%s", not, out)
				}
			}
		})
	}
}

// heights returns from, from+1, …, to.
func heights(from, to int64) []int64 {
	var hs []int64
	for h := from; h <= to; h++ {
		hs = append(hs, h)
	}
	return hs
}
