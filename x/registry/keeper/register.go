package keeper

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// GasPerAttestation is charged for verifying one sim quote;
// GasPerHardwareAttestation for a TDX or SEV-SNP quote, whose verification
// parses certificates and collateral and checks a dozen ECDSA signatures.
const (
	GasPerAttestation         = 50_000
	GasPerHardwareAttestation = 1_000_000
)

// RegisterWorker verifies an attested registration and records the worker.
// Checks run cheapest first; each failure has its own error code and nothing
// is stored unless all pass:
//
//  1. the info decodes canonically, names this chain and the signing operator;
//  2. the TEE kind is known, and sim only while allow_simulated_tee is on;
//  3. the quote verifies (at block time, never the wall clock) against the
//     collateral governance stored for its platform, which must not have
//     expired, and no certificate of its chain is revoked;
//  4. its report data is ReportData(chain id, info bytes);
//  5. it is not older than attestation_max_age_seconds;
//  6. it is not a debug TEE, unless allow_debug_tee is on;
//  7. its measurement is allow-listed for its kind;
//  8. its confidence level (from the TCB status and the accepted advisories)
//     is accepted for workers;
//  9. if the info names a predecessor, gk (x/gatekeeper) pairs it in the
//     pending pRuntime migration; without gk no predecessor may be named.
func (k *Keeper) RegisterWorker(ctx context.Context, msg *types.MsgRegisterWorker, gk types.GatekeeperProtocol) (types.Worker, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if _, err := k.addressCodec.StringToBytes(msg.Operator); err != nil {
		return types.Worker{}, errorsmod.Wrapf(types.ErrInvalidOperator, "%q: %v", msg.Operator, err)
	}
	info, err := protocol.DecodeRegistrationInfo(msg.Info)
	if err != nil {
		return types.Worker{}, errorsmod.Wrap(types.ErrMalformedInfo, err.Error())
	}
	if info.ChainID != sdkCtx.ChainID() {
		return types.Worker{}, errorsmod.Wrapf(types.ErrWrongChain, "info names %q, this chain is %q", info.ChainID, sdkCtx.ChainID())
	}
	if info.Operator != msg.Operator {
		return types.Worker{}, errorsmod.Wrapf(types.ErrOperatorMismatch, "info names %s, signed by %s", info.Operator, msg.Operator)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Worker{}, err
	}
	kind := msg.Attestation.TeeKind
	verifier, ok := k.verifiers[kind]
	if !ok {
		return types.Worker{}, unknownKind(kind)
	}
	if kind == attest.KindSim && !params.AllowSimulatedTee {
		return types.Worker{}, errorsmod.Wrap(types.ErrSimulatedTEENotAllowed, "allow_simulated_tee is off")
	}
	if len(msg.Attestation.Quote) > attest.MaxQuoteLen {
		return types.Worker{}, errorsmod.Wrapf(types.ErrMalformedAttestation, "quote is %d bytes, limit %d", len(msg.Attestation.Quote), attest.MaxQuoteLen)
	}
	gas := uint64(GasPerHardwareAttestation)
	if kind == attest.KindSim {
		gas = GasPerAttestation
	}
	sdkCtx.GasMeter().ConsumeGas(gas, "registry attestation")
	now := sdkCtx.BlockTime()
	report, err := verifier.Verify(msg.Attestation.Quote, now, chainCollateral{ctx: ctx, k: k, accepted: params.AcceptedAdvisories})
	if err != nil {
		return types.Worker{}, attestError(err)
	}
	if report.Kind != kind {
		return types.Worker{}, errorsmod.Wrapf(types.ErrInvalidAttestation, "verifier for %s reported kind %s", kind, report.Kind)
	}
	if want := protocol.ReportData(info.ChainID, msg.Info); report.ReportData != want {
		return types.Worker{}, errorsmod.Wrap(types.ErrReportDataMismatch, "quote report data differs from SHA-512 of the registration info")
	}
	if !report.IssuedAt.IsZero() && now.Sub(report.IssuedAt) > time.Duration(params.AttestationMaxAgeSeconds)*time.Second {
		return types.Worker{}, errorsmod.Wrapf(types.ErrAttestationExpired, "issued %s, block time %s, max age %ds",
			report.IssuedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), params.AttestationMaxAgeSeconds)
	}
	if report.Debug && !params.AllowDebugTee {
		return types.Worker{}, errorsmod.Wrapf(types.ErrDebugTEENotAllowed, "%s quote from a debug TEE; allow_debug_tee is off", kind)
	}
	// A guest's lower VMPLs (a paravisor, an SVSM) see its memory: accept
	// only the privilege levels governance trusts, VMPL 0 by default.
	if report.Kind == attest.KindSEVSNP && report.VMPL > params.SnpMaxVmpl {
		return types.Worker{}, errorsmod.Wrapf(types.ErrVMPLNotAllowed, "sev-snp report from VMPL %d; snp_max_vmpl is %d", report.VMPL, params.SnpMaxVmpl)
	}
	allowed, err := k.Measurements.Has(ctx, collections.Join(kind, report.Measurement))
	if err != nil {
		return types.Worker{}, err
	}
	// The alternative policy kind (SGX: MRSIGNER || ISVPRODID || ISVSVN):
	// an allow-list entry may name the signer's release instead of one build.
	if !allowed && len(report.SignerMeasurement) > 0 {
		if allowed, err = k.Measurements.Has(ctx, collections.Join(kind, report.SignerMeasurement)); err != nil {
			return types.Worker{}, err
		}
	}
	if !allowed {
		if len(report.SignerMeasurement) > 0 {
			return types.Worker{}, errorsmod.Wrapf(types.ErrMeasurementNotAllowed, "%s measurement %x nor signer %x", kind, report.Measurement, report.SignerMeasurement)
		}
		return types.Worker{}, errorsmod.Wrapf(types.ErrMeasurementNotAllowed, "%s measurement %x", kind, report.Measurement)
	}
	if !params.AcceptsLevel(report.ConfidenceLevel, params.WorkerConfidenceLimit) {
		return types.Worker{}, errorsmod.Wrapf(types.ErrConfidenceTooLow, "level %d (TCB %s), workers need 1-%d", report.ConfidenceLevel, report.TCBStatus, params.WorkerConfidenceLimit)
	}

	w := types.Worker{
		IdentityKey:        info.IdentityKey,
		ReceiveKey:         info.ReceiveKey,
		Operator:           info.Operator,
		TeeKind:            kind,
		Measurement:        report.Measurement,
		ConfidenceLevel:    report.ConfidenceLevel,
		PruntimeVersion:    info.Version,
		RegisteredHeight:   sdkCtx.BlockHeight(),
		RegisteredTimeUnix: now.Unix(),
		RegistrationInfo:   msg.Info,
		TcbStatus:          string(report.TCBStatus),
		Advisories:         report.Advisories,
		PlatformId:         report.PlatformID,
	}
	// Re-registration (new quote, new version) keeps the announced
	// endpoint: it lives in Endpoints, which this does not touch.
	switch registered, err := k.Workers.Has(ctx, info.IdentityKey); {
	case err != nil:
		return types.Worker{}, err
	case registered && len(info.Predecessor) > 0:
		return types.Worker{}, errorsmod.Wrapf(types.ErrInvalidSuccessor, "worker %x is already registered: a successor is a new pRuntime", info.IdentityKey)
	}
	if err := k.setWorker(ctx, w); err != nil {
		return types.Worker{}, err
	}
	if _, err := k.ingress.PushIngress(ctx, types.ModuleName, protocol.TopicWorkerRegistered, w.IdentityKey); err != nil {
		return types.Worker{}, err
	}
	if len(info.Predecessor) > 0 {
		// A failure here fails the whole registration: the transaction's
		// writes, the worker's included, are dropped.
		if gk == nil {
			return types.Worker{}, errorsmod.Wrapf(types.ErrInvalidSuccessor, "worker %x names predecessor %x, but this chain has no gatekeeper protocol", w.IdentityKey, info.Predecessor)
		}
		if err := gk.PairSuccessor(ctx, w, info.Predecessor); err != nil {
			return types.Worker{}, err
		}
	}
	sdkCtx.EventManager().EmitEvent(sdk.NewEvent(types.EventWorkerRegistered,
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(w.IdentityKey)),
		sdk.NewAttribute(types.AttributeOperator, w.Operator),
		sdk.NewAttribute(types.AttributeTEEKind, kind),
		sdk.NewAttribute(types.AttributeMeasurement, hex.EncodeToString(w.Measurement)),
		sdk.NewAttribute(types.AttributeConfidence, fmt.Sprint(w.ConfidenceLevel)),
		sdk.NewAttribute(types.AttributeTCBStatus, w.TcbStatus),
		sdk.NewAttribute(types.AttributePlatformID, w.PlatformId),
	))
	return k.withEndpoint(ctx, w)
}
