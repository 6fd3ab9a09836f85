package app_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestRegistrationRejects delivers bad registrations in real blocks. The
// registry verifies a registration at block time only (there is no ante
// check: the operator pays for its own bad registration), so each case is a
// transaction that fails in DeliverTx with its own x/registry code and stores
// no worker and no ingress entry.
func TestRegistrationRejects(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 2)
	op, other := c.Accounts[0], c.Accounts[1]

	// withQuote returns w's registration with the quote replaced.
	withQuote := func(w *apptest.Worker, quote []byte) *registrytypes.MsgRegisterWorker {
		m := w.RegisterMsg(op)
		m.Attestation.Quote = quote
		return m
	}
	good := c.NewWorker(op)
	tests := []struct {
		name   string
		signer *apptest.Account
		msg    *registrytypes.MsgRegisterWorker
		want   *errorsmod.Error
	}{
		{"registration for another chain", op, c.NewWorkerWith(op, func(ri *protocol.RegistrationInfo) { ri.ChainID = "other-chain-1" }).RegisterMsg(op),
			registrytypes.ErrWrongChain},
		{"report data does not match the info", op, withQuote(good, c.NewWorker(op).Quote), registrytypes.ErrReportDataMismatch},
		{"measurement not allowed", op, withQuote(good, c.SimQuote([32]byte{0xba, 0xd}, protocol.ReportData(apptest.ChainID, good.Info), c.Time)),
			registrytypes.ErrMeasurementNotAllowed},
		{"malformed attestation bytes", op, withQuote(good, good.Quote[:len(good.Quote)-1]), registrytypes.ErrMalformedAttestation},
		{"attestation over size bound", op, withQuote(good, make([]byte, attest.MaxQuoteLen+1)), registrytypes.ErrMalformedAttestation},
		{"attestation with a bad platform signature", op, withQuote(good, func() []byte {
			q := bytes.Clone(good.Quote)
			q[len(q)-1] ^= 1
			return q
		}()), registrytypes.ErrInvalidAttestation},
		{"attestation from the future", op, withQuote(good, c.SimQuote(apptest.SimMeasurement, protocol.ReportData(apptest.ChainID, good.Info), c.Time.Add(time.Hour))),
			registrytypes.ErrInvalidAttestation},
		{"attestation too old", op, withQuote(good, c.SimQuote(apptest.SimMeasurement, protocol.ReportData(apptest.ChainID, good.Info), c.Time.Add(-2*time.Hour))),
			registrytypes.ErrAttestationExpired},
		{"operator mismatch", other, good.RegisterMsg(other), registrytypes.ErrOperatorMismatch},
		{"malformed info", op, func() *registrytypes.MsgRegisterWorker {
			m := good.RegisterMsg(op)
			m.Info = m.Info[:len(m.Info)-1]
			return m
		}(), registrytypes.ErrMalformedInfo},
		{"unknown TEE kind", op, func() *registrytypes.MsgRegisterWorker {
			m := good.RegisterMsg(op)
			m.Attestation.TeeKind = "sgx-epid"
			return m
		}(), registrytypes.ErrUnknownTEEKind},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireRegistrationFails(t, c, tc.signer, tc.msg, tc.want)
		})
	}

	// The untouched registration still succeeds.
	res := c.NextBlock(c.Tx(op, 100_000, good.RegisterMsg(op)))
	requireOK(t, "good registration", res[0].Code, res[0].Log)
	if _, err := c.App.RegistryKeeper.GetWorker(c.CommittedContext(), good.PublicKey()); err != nil {
		t.Fatal(err)
	}
}

// TestRegistrationSimulatedTEEOff registers a sim-attested worker on a chain
// that does not allow the simulated TEE.
func TestRegistrationSimulatedTEEOff(t *testing.T) {
	t.Parallel()
	c := apptest.New(t, 1, func(gs *registrytypes.GenesisState) { gs.Params.AllowSimulatedTee = false })
	op := c.Accounts[0]
	requireRegistrationFails(t, c, op, c.NewWorker(op).RegisterMsg(op), registrytypes.ErrSimulatedTEENotAllowed)
}

// requireRegistrationFails delivers msg signed by signer in a block and
// requires the registry error want and unchanged mq and registry state.
func requireRegistrationFails(t *testing.T, c *apptest.Chain, signer *apptest.Account, msg *registrytypes.MsgRegisterWorker, want *errorsmod.Error) {
	t.Helper()
	before := viewOf(t, c, c.CommittedContext(), signer)
	res := c.NextBlock(c.Tx(signer, 100_000, msg))
	requireCode(t, "DeliverTx", res[0].Code, res[0].Codespace, res[0].Log, want)
	after := viewOf(t, c, c.CommittedContext(), signer)
	// A message refused by its ValidateBasic fails before the ante handler
	// and does not use the sequence; one refused by the keeper does.
	signer.Seq = after.accSeq
	if !bytes.Equal(before.mq, after.mq) {
		t.Error("mq state changed: an ingress entry was appended")
	}
	if !bytes.Equal(before.registry, after.registry) {
		t.Error("registry state changed: a worker was stored")
	}
	info, err := protocol.DecodeRegistrationInfo(msg.Info)
	if err != nil {
		return // no identity key to look up
	}
	if _, err := c.App.RegistryKeeper.GetWorker(c.CommittedContext(), info.IdentityKey); !errors.Is(err, registrytypes.ErrWorkerNotFound) {
		t.Fatalf("worker lookup: %v, want not found", err)
	}
}
