package keeper_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestRegisterWorker runs every registration check; each rejection has its
// own error code and leaves no worker and no ingress entry behind.
func TestRegisterWorker(t *testing.T) {
	t.Parallel()
	maxAge := time.Duration(types.DefaultAttestationMaxAgeSeconds) * time.Second
	// simQuoteAt attests info with a quote issued at the given time.
	simQuoteAt := func(f *fixture, msg *types.MsgRegisterWorker, issued time.Time) {
		msg.Attestation.Quote = attest.NewSimQuote(f.platform, simMeasurement, protocol.ReportData(testChainID, msg.Info), issued)
	}
	tests := []struct {
		name      string
		build     func(t *testing.T, f *fixture) *types.MsgRegisterWorker
		want      error
		wantLevel uint32
	}{
		{
			name:      "simulated worker",
			build:     func(t *testing.T, f *fixture) *types.MsgRegisterWorker { return f.simMsg(t, f.info(t, 1)) },
			wantLevel: attest.ConfidenceSimulated,
		},
		{
			name: "quote exactly at max age",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				simQuoteAt(f, msg, testTime.Add(-maxAge))
				return msg
			},
			wantLevel: attest.ConfidenceSimulated,
		},
		{
			name: "quote within the future skew",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				simQuoteAt(f, msg, testTime.Add(attest.MaxFutureSkew))
				return msg
			},
			wantLevel: attest.ConfidenceSimulated,
		},
		{
			name:      "hardware worker at the worst accepted level",
			build:     func(t *testing.T, f *fixture) *types.MsgRegisterWorker { return f.fakeMsg(t, f.info(t, 1), 5) },
			wantLevel: 5,
		},
		{
			name: "invalid operator address",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Operator = "not-an-address"
				return msg
			},
			want: types.ErrInvalidOperator,
		},
		{
			name: "empty info",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Info = nil
				return msg
			},
			want: types.ErrMalformedInfo,
		},
		{
			name: "info with a trailing byte",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Info = append(msg.Info, 0)
				return msg
			},
			want: types.ErrMalformedInfo,
		},
		{
			name: "info with an invalid receive key",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				info := f.info(t, 1)
				b := registrytest.EncodeInfo(t, info)
				// version, chain id, identity key, receive key length.
				off := 1 + 1 + len(info.ChainID) + 32 + 2
				copy(b[off:off+protocol.ReceiveKeyLen], bytes.Repeat([]byte{0xff}, protocol.ReceiveKeyLen))
				msg := f.simMsg(t, info)
				msg.Info = b
				return msg
			},
			want: types.ErrMalformedInfo,
		},
		{
			name: "info for another chain",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				info := f.info(t, 1)
				info.ChainID = "other-chain"
				return f.simMsg(t, info) // quote correctly bound to the other chain
			},
			want: types.ErrWrongChain,
		},
		{
			name: "operator other than the info's",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Operator = registrytest.MustAddr(t, f.ac, bytes.Repeat([]byte{0x0b}, 20))
				return msg
			},
			want: types.ErrOperatorMismatch,
		},
		{
			name: "unknown TEE kind",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.TeeKind = "tdx"
				return msg
			},
			want: types.ErrUnknownTEEKind,
		},
		{
			name: "empty TEE kind",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.TeeKind = ""
				return msg
			},
			want: types.ErrUnknownTEEKind,
		},
		{
			name: "simulated TEE not allowed",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				f.setParams(t, func(p *types.Params) { p.AllowSimulatedTee = false })
				return f.simMsg(t, f.info(t, 1))
			},
			want: types.ErrSimulatedTEENotAllowed,
		},
		{
			name: "empty quote",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote = nil
				return msg
			},
			want: types.ErrMalformedAttestation,
		},
		{
			name: "truncated quote",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote = msg.Attestation.Quote[:attest.SimQuoteLen-1]
				return msg
			},
			want: types.ErrMalformedAttestation,
		},
		{
			name: "quote with a wrong magic",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote[0] ^= 1
				return msg
			},
			want: types.ErrMalformedAttestation,
		},
		{
			name: "quote over the size bound",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote = append(msg.Attestation.Quote, make([]byte, attest.MaxQuoteLen)...)
				return msg
			},
			want: types.ErrMalformedAttestation,
		},
		{
			name: "bad quote signature",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote[len(msg.Attestation.Quote)-1] ^= 1
				return msg
			},
			want: types.ErrInvalidAttestation,
		},
		{
			name: "measurement altered after signing",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote[len(attest.SimQuoteMagic)] ^= 1
				return msg
			},
			want: types.ErrInvalidAttestation,
		},
		{
			name: "quote from the future",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				simQuoteAt(f, msg, testTime.Add(attest.MaxFutureSkew+time.Second))
				return msg
			},
			want: types.ErrInvalidAttestation,
		},
		{
			name: "report data of other info",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				other := f.simMsg(t, f.info(t, 2))
				msg.Attestation = other.Attestation
				return msg
			},
			want: types.ErrReportDataMismatch,
		},
		{
			name: "report data bound to another chain",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				quote, err := f.tee.Quote(protocol.ReportData("other-chain", msg.Info))
				if err != nil {
					t.Fatal(err)
				}
				msg.Attestation.Quote = quote
				return msg
			},
			want: types.ErrReportDataMismatch,
		},
		{
			name: "quote older than max age",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				simQuoteAt(f, msg, testTime.Add(-maxAge-time.Second))
				return msg
			},
			want: types.ErrAttestationExpired,
		},
		{
			name: "quote older than a shortened max age",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				f.setParams(t, func(p *types.Params) { p.AttestationMaxAgeSeconds = 30 })
				return f.simMsg(t, f.info(t, 1)) // the TEE stamps a minute before block time
			},
			want: types.ErrAttestationExpired,
		},
		{
			name: "measurement not allowed",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote = attest.NewSimQuote(f.platform, otherMeasurement, protocol.ReportData(testChainID, msg.Info), testTime)
				return msg
			},
			want: types.ErrMeasurementNotAllowed,
		},
		{
			name: "measurement allowed only for another kind",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				msg := f.simMsg(t, f.info(t, 1))
				msg.Attestation.Quote = attest.NewSimQuote(f.platform, registrytest.FakeMeasurement, protocol.ReportData(testChainID, msg.Info), testTime)
				return msg
			},
			want: types.ErrMeasurementNotAllowed,
		},
		{
			name: "measurement removed by governance",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				_, err := f.msgs.RemoveMeasurement(f.ctx, &types.MsgRemoveMeasurement{
					Authority: f.authority, TeeKind: attest.KindSim, Measurement: hex.EncodeToString(simMeasurement[:]),
				})
				if err != nil {
					t.Fatal(err)
				}
				return f.simMsg(t, f.info(t, 1))
			},
			want: types.ErrMeasurementNotAllowed,
		},
		{
			name:  "hardware level above the worker limit",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker { return f.fakeMsg(t, f.info(t, 1), 6) },
			want:  types.ErrConfidenceTooLow,
		},
		{
			name:  "hardware level 0",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker { return f.fakeMsg(t, f.info(t, 1), 0) },
			want:  types.ErrConfidenceTooLow,
		},
		{
			name: "hardware level above a lowered worker limit",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				f.setParams(t, func(p *types.Params) { p.WorkerConfidenceLimit, p.GatekeeperConfidenceLimit = 3, 3 })
				return f.fakeMsg(t, f.info(t, 1), 4)
			},
			want: types.ErrConfidenceTooLow,
		},
		{
			name: "simulated level claimed by a hardware kind while sim is off",
			build: func(t *testing.T, f *fixture) *types.MsgRegisterWorker {
				f.setParams(t, func(p *types.Params) { p.AllowSimulatedTee = false })
				return f.fakeMsg(t, f.info(t, 1), byte(attest.ConfidenceSimulated))
			},
			want: types.ErrConfidenceTooLow,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			msg := tc.build(t, f)
			before := f.snapshot(t)
			_, err := f.msgs.RegisterWorker(f.ctx, msg)
			wantErrIs(t, err, tc.want)
			key := pub(testKey(1))
			if tc.want != nil {
				f.assertUnchanged(t, before)
				if ok, _ := f.k.IsWorker(f.ctx, key); ok {
					t.Error("rejected worker is stored")
				}
				if es := f.ingress(t); len(es) != 0 {
					t.Errorf("rejected registration appended ingress: %v", es)
				}
				return
			}

			w, err := f.k.GetWorker(f.ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			info, err := protocol.DecodeRegistrationInfo(msg.Info)
			if err != nil {
				t.Fatal(err)
			}
			wantMeasurement := simMeasurement[:]
			if msg.Attestation.TeeKind == registrytest.FakeKind {
				wantMeasurement = registrytest.FakeMeasurement[:]
			}
			switch {
			case !bytes.Equal(w.IdentityKey, key),
				!bytes.Equal(w.ReceiveKey, info.ReceiveKey),
				w.Operator != f.operator,
				w.TeeKind != msg.Attestation.TeeKind,
				!bytes.Equal(w.Measurement, wantMeasurement),
				w.ConfidenceLevel != tc.wantLevel,
				w.PruntimeVersion != "v1.0.0",
				w.RegisteredHeight != testHeight,
				w.RegisteredTimeUnix != testTime.Unix(),
				w.Endpoint != "",
				!bytes.Equal(w.RegistrationInfo, msg.Info):
				t.Errorf("stored worker %+v", w)
			}
			if ok, _ := f.k.IsWorker(f.ctx, key); !ok {
				t.Error("IsWorker = false after registration")
			}
			if gks, _ := f.gk.GatekeeperKeys(f.ctx); len(gks) != 0 {
				t.Errorf("registration made a gatekeeper: %x", gks)
			}
			resp, err := f.mqQuery.Ingress(f.ctx, &mqtypes.QueryIngressRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Entries) != 1 || resp.Entries[0].Index != 0 || resp.Entries[0].Height != testHeight {
				t.Fatalf("ingress %+v, want one entry at index 0, height %d", resp.Entries, testHeight)
			}
			f.wantLastIngress(t, protocol.TopicWorkerRegistered, key)
			attrs := map[string]string{
				types.AttributeIdentityKey: hex.EncodeToString(key),
				types.AttributeOperator:    f.operator,
				types.AttributeTEEKind:     msg.Attestation.TeeKind,
				types.AttributeMeasurement: hex.EncodeToString(wantMeasurement),
				types.AttributeConfidence:  fmt.Sprint(tc.wantLevel),
			}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventWorkerRegistered, attrs) {
				t.Errorf("no %s event with %v", types.EventWorkerRegistered, attrs)
			}
		})
	}
}

// TestRegisterWorkerGas checks that quote verification is charged.
func TestRegisterWorkerGas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	msg := f.simMsg(t, f.info(t, 1))
	before := f.ctx.GasMeter().GasConsumed()
	f.register(t, msg)
	if used := f.ctx.GasMeter().GasConsumed() - before; used < 50_000 {
		t.Errorf("registration used %d gas, want at least the attestation charge", used)
	}
}

// TestReRegistration checks that a worker re-registering (new quote, new
// version, new receive key) keeps the endpoint it announced through the queue.
func TestReRegistration(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.registerSim(t, 1)

	// Announce an endpoint the way a pRuntime does: a signed egress message.
	m := protocol.Message{Origin: protocol.WorkerOrigin(pub(testKey(1))), Topic: protocol.TopicWorkerEndpoint, Payload: []byte("https://w1.example.com:8443/rpc")}
	sm, err := protocol.SignMessage(testChainID, testKey(1), &m)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.mqMsgs.SyncMessages(f.ctx, &mqtypes.MsgSyncMessages{
		Submitter: f.operator,
		Messages:  []mqtypes.SignedMessage{{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}},
	})
	if err != nil || resp.Accepted != 1 {
		t.Fatalf("SyncMessages = %+v, %v", resp, err)
	}
	w, err := f.k.GetWorker(f.ctx, pub(testKey(1)))
	if err != nil || w.Endpoint != "https://w1.example.com:8443/rpc" {
		t.Fatalf("endpoint after announcement = %q, %v", w.Endpoint, err)
	}

	f.ctx = f.ctx.WithBlockHeight(testHeight + 5).WithBlockTime(testTime.Add(time.Hour))
	info := f.info(t, 1)
	info.Version = "v1.1.0"
	msg := f.simMsg(t, info)
	msg.Attestation.Quote = attest.NewSimQuote(f.platform, simMeasurement, protocol.ReportData(testChainID, msg.Info), testTime.Add(time.Hour))
	f.register(t, msg)

	w, err = f.k.GetWorker(f.ctx, pub(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	if w.Endpoint != "https://w1.example.com:8443/rpc" {
		t.Errorf("endpoint after re-registration = %q", w.Endpoint)
	}
	if w.PruntimeVersion != "v1.1.0" || w.RegisteredHeight != testHeight+5 || !bytes.Equal(w.ReceiveKey, info.ReceiveKey) {
		t.Errorf("re-registered worker %+v", w)
	}
	es := f.ingress(t)
	if len(es) != 2 || es[1].Seq != 1 || es[1].Topic != protocol.TopicWorkerRegistered {
		t.Errorf("ingress after re-registration: %v", es)
	}
}

// An oversized TEE kind is rejected with an error of bounded size.
func TestUnknownTEEKindErrorIsBounded(t *testing.T) {
	t.Parallel()
	err := keeper.UnknownKindError(strings.Repeat("k", 1<<20))
	if !errors.Is(err, types.ErrUnknownTEEKind) || len(err.Error()) > 200 {
		t.Fatalf("error of %d bytes: %.80s", len(err.Error()), err)
	}
}
