package pherry

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// registerMaxRetryBlocks caps the wait between registrations the chain
// refused with a code that may heal (registerRetryBlocks doubling).
const registerMaxRetryBlocks = 16 * registerRetryBlocks

// regState is where the worker's registration stands, as this pherry sees
// it. Its value is the pherry_registration_state gauge.
type regState int

const (
	// regPending: not registered, nothing submitted yet.
	regPending regState = iota
	// regSubmitted: CheckTx took the registration; waiting for it to
	// show up in ingress.
	regSubmitted
	// regRetrying: the chain refused it with a code that governance or
	// time may heal (collateral missing or expired, attestation too old,
	// fees); it is sent again after a backoff in blocks.
	regRetrying
	// regRefused: the chain refused it with a code that resending cannot
	// heal. It is not sent again until pherry restarts; relaying goes on.
	regRefused
	// regRegistered: the pRuntime saw its registration in ingress.
	regRegistered
)

func (s regState) String() string {
	switch s {
	case regPending:
		return "pending"
	case regSubmitted:
		return "submitted"
	case regRetrying:
		return "retrying"
	case regRefused:
		return "refused"
	case regRegistered:
		return "registered"
	}
	return fmt.Sprintf("regState(%d)", int(s))
}

// registration is the relayer's registration state.
type registration struct {
	state       regState
	submittedAt int64  // height of the last submission CheckTx took
	hash        string // its tx hash
	included    bool   // its DeliverTx result was seen, code 0
	retryAt     int64  // regRetrying: the height to send again at
	refusals    int    // refusals since the last registration
	refusal     *TxError
}

// errTxNotFound: the node has no result for the hash (not in a block yet).
var errTxNotFound = errors.New("pherry: tx not found")

// txResult returns the DeliverTx result of the transaction hash (hex) as
// nil (code 0) or a *TxError, or errTxNotFound.
func (r *Relayer) txResult(ctx context.Context, hash string) (*TxError, error) {
	bz, err := hex.DecodeString(hash)
	if err != nil {
		return nil, fmt.Errorf("pherry: tx hash %q: %w", hash, err)
	}
	res, err := r.node.Tx(ctx, bz, false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, errTxNotFound
		}
		return nil, fmt.Errorf("pherry: tx %s: %w", hash, err)
	}
	if res.TxResult.Code != 0 {
		return &TxError{Codespace: res.TxResult.Codespace, Code: res.TxResult.Code, Log: res.TxResult.Log}, nil
	}
	return nil, nil
}

// setReg moves the registration to s and updates the gauge.
func (r *Relayer) setReg(s regState) {
	r.reg.state = s
	r.metrics.registration.Set(float64(s))
}

// maybeRegister registers the worker once the pRuntime has caught up and
// has not seen its own registration in ingress. A registration the chain
// refuses is logged with the chain's reason; it is sent again after a
// backoff if the refusal may heal, never if it cannot (regRefused).
func (r *Relayer) maybeRegister(ctx context.Context, info api.Info, height int64) error {
	if info.Registered {
		if r.reg.state != regRegistered {
			r.reg.refusals, r.reg.refusal = 0, nil
			r.setReg(regRegistered)
		}
		return nil
	}
	switch r.reg.state {
	case regRefused:
		return nil
	case regRetrying:
		if height < r.reg.retryAt {
			return nil
		}
	case regSubmitted:
		if !r.reg.included && height > r.reg.submittedAt {
			txErr, err := r.txSeen(ctx, r.reg.hash)
			switch {
			case errors.Is(err, errTxNotFound):
			case err != nil:
				// E.g. a node without a tx index: a refusal in the block
				// then shows only as no registration in ingress, and the
				// registration is sent again after registerRetryBlocks.
				r.log.Debug("registration result not available", "tx", r.reg.hash, "err", err)
				r.reg.included = true
			case txErr != nil:
				r.refused(txErr, height)
				return nil
			default:
				r.reg.included = true
			}
		}
		if height < r.reg.submittedAt+registerRetryBlocks {
			return nil
		}
	}
	reg, err := r.registrationOf(ctx)
	if err != nil {
		return fmt.Errorf("pherry: registration from pruntime: %w", err)
	}
	msg := &registrytypes.MsgRegisterWorker{
		Operator:    r.signer.addr.String(),
		Info:        reg.Info,
		Attestation: registrytypes.Attestation{TeeKind: reg.TEEKind, Quote: reg.Quote},
	}
	hash, err := r.sendTx(ctx, gasRegister, msg)
	if err != nil {
		var txErr *TxError
		if asTxError(err, &txErr) {
			r.refused(txErr, height)
			return nil
		}
		return fmt.Errorf("pherry: register worker: %w", err)
	}
	r.reg.submittedAt, r.reg.hash, r.reg.included = height, hash, false
	r.setReg(regSubmitted)
	r.log.Info("registration accepted into the mempool; waiting for it in a block", "tx", hash, "identity_key", info.IdentityKey)
	return nil
}

// refused records the chain's refusal of the registration at height.
func (r *Relayer) refused(txErr *TxError, height int64) {
	if contended(txErr) {
		// Another signer of this operator's account (the operator's other
		// relayers) took the sequence the signer had just refreshed: not a
		// verdict on the registration, so it is sent again at the next
		// block without counting as a refusal, as before refusals backed off.
		r.reg.retryAt = height + 1
		r.setReg(regRetrying)
		r.log.Info("registration lost a race for the operator account's sequence; sending it again next block",
			"codespace", txErr.Codespace, "code", txErr.Code, "reason", txErr.Log)
		return
	}
	r.reg.refusal = txErr
	r.reg.refusals++
	if action, permanent := refusalAction(txErr); permanent {
		r.setReg(regRefused)
		r.log.Error("registration refused by the chain; not sending it again (relaying goes on)",
			"codespace", txErr.Codespace, "code", txErr.Code, "reason", txErr.Log, "action", action)
		return
	}
	blocks := int64(registerMaxRetryBlocks)
	if r.reg.refusals <= 5 {
		blocks = min(int64(registerRetryBlocks)<<(r.reg.refusals-1), registerMaxRetryBlocks)
	}
	r.reg.retryAt = height + blocks
	r.setReg(regRetrying)
	r.log.Warn("registration refused by the chain; sending it again later",
		"codespace", txErr.Codespace, "code", txErr.Code, "reason", txErr.Log,
		"retry_in_blocks", blocks, "retry_at_height", r.reg.retryAt)
}

// contended reports whether a refusal says only that the operator's
// account sequence moved under the signer.
func contended(e *TxError) bool {
	return e.Codespace == sdkerrors.RootCodespace && e.Code == sdkerrors.ErrWrongSequence.ABCICode()
}

// refusalAction says whether a refusal is one resending cannot heal, and
// what the operator must do about it. Codes of other codespaces (fees, gas,
// sequence) and registry codes that governance or a fresh quote may heal
// (collateral missing, invalid or expired; attestation too old) are
// transient.
func refusalAction(e *TxError) (action string, permanent bool) {
	if e.Codespace != registrytypes.ModuleName {
		return "", false
	}
	switch e.Code {
	case registrytypes.ErrWrongChain.ABCICode():
		return "the pRuntime was set up for another chain: check --chain-id and the pRuntime's chain, then restart", true
	case registrytypes.ErrOperatorMismatch.ABCICode(), registrytypes.ErrInvalidOperator.ABCICode():
		return "the pRuntime is bound to another operator: run pherry with that operator's key, then restart", true
	case registrytypes.ErrMeasurementNotAllowed.ABCICode(), registrytypes.ErrMeasurementNotFound.ABCICode(), registrytypes.ErrInvalidMeasurement.ABCICode():
		return "governance has not allowed this pRuntime build's measurement: get it allowed (registry allow-measurement) or run an allowed build, then restart pherry", true
	case registrytypes.ErrDebugTEENotAllowed.ABCICode():
		return "the TEE runs in debug mode, which this chain refuses: launch the pRuntime in production mode, then restart", true
	case registrytypes.ErrSimulatedTEENotAllowed.ABCICode():
		return "this chain refuses simulated TEEs: run the pRuntime on real TEE hardware, then restart", true
	case registrytypes.ErrConfidenceTooLow.ABCICode(), registrytypes.ErrTCBNotAccepted.ABCICode(), registrytypes.ErrVMPLNotAllowed.ABCICode():
		return "the platform's attestation level is below what the chain accepts: update the platform (firmware, TCB, VMPL) or get governance to accept it, then restart", true
	case registrytypes.ErrUnknownTEEKind.ABCICode():
		return "the chain does not know this TEE kind: run a pRuntime on a TEE the chain supports, then restart", true
	case registrytypes.ErrMalformedInfo.ABCICode(), registrytypes.ErrMalformedAttestation.ABCICode(),
		registrytypes.ErrInvalidAttestation.ABCICode(), registrytypes.ErrReportDataMismatch.ABCICode(),
		registrytypes.ErrInvalidKey.ABCICode(), registrytypes.ErrInvalidEndpoint.ABCICode(),
		registrytypes.ErrCertificateRevoked.ABCICode(), registrytypes.ErrPlatformMismatch.ABCICode(),
		registrytypes.ErrCertificateChain.ABCICode():
		return "the pRuntime's registration or attestation is not valid for this chain: check the pRuntime version, its endpoint and the platform, then restart", true
	}
	return "", false
}

// registrationOf, sendTx and txSeen are the relayer's seams for its
// registration: the pRuntime's registration, the signer, the node's tx
// results. Tests replace them through the fields of the same purpose.
func (r *Relayer) registrationOf(ctx context.Context) (api.Registration, error) {
	if r.fetchRegistration != nil {
		return r.fetchRegistration(ctx)
	}
	return r.pr.Registration(ctx)
}

func (r *Relayer) sendTx(ctx context.Context, gas uint64, msgs ...sdk.Msg) (string, error) {
	if r.send != nil {
		return r.send(ctx, gas, msgs...)
	}
	return r.signer.send(ctx, gas, msgs...)
}

func (r *Relayer) txSeen(ctx context.Context, hash string) (*TxError, error) {
	if r.deliverResult != nil {
		return r.deliverResult(ctx, hash)
	}
	return r.txResult(ctx, hash)
}
