package types

import (
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// The Msgs' ValidateBasic methods hold the checks that need no state; the
// node runs them in CheckTx before a fee is taken, and gov when a proposal
// is submitted (see x/gatekeeper's msgs.go). The keeper repeats what it
// needs; whether a TEE kind is known is the keeper's (its verifiers).

var (
	_ sdk.HasValidateBasic = (*MsgRegisterWorker)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgAddMeasurement)(nil)
	_ sdk.HasValidateBasic = (*MsgRemoveMeasurement)(nil)
)

// MaxMeasurementDescriptionLen bounds an allowed measurement's description.
const MaxMeasurementDescriptionLen = 256

// ParseKey decodes a 32-byte identity key given as hex or base64
// (protocol.ParseIdentityKey), as ErrInvalidKey.
func ParseKey(s string) ([]byte, error) {
	b, err := protocol.ParseIdentityKey(s)
	if err != nil {
		return nil, errorsmod.Wrap(ErrInvalidKey, err.Error())
	}
	return b, nil
}

// ParseMeasurement decodes a measurement given as 1 to MaxMeasurementLen
// bytes of hex, as ErrInvalidMeasurement. The error repeats at most a
// measurement's worth of the input.
func ParseMeasurement(s string) ([]byte, error) {
	if len(s) > 2*MaxMeasurementLen {
		return nil, errorsmod.Wrapf(ErrInvalidMeasurement, "%d hex digits, want at most %d", len(s), 2*MaxMeasurementLen)
	}
	m, err := hex.DecodeString(s)
	if err != nil || len(m) == 0 {
		return nil, errorsmod.Wrapf(ErrInvalidMeasurement, "%q is not 1-%d bytes of hex", s, MaxMeasurementLen)
	}
	return m, nil
}

// validKind checks a TEE kind's size.
func validKind(kind string) error {
	if kind == "" || len(kind) > protocol.MaxTEEKindLen {
		return errorsmod.Wrapf(ErrUnknownTEEKind, "tee_kind is %d bytes, want 1-%d", len(kind), protocol.MaxTEEKindLen)
	}
	return nil
}

// ValidateBasic checks that the info decodes canonically and names the
// signer, and the attestation's kind and quote sizes. The chain id, the
// quote and everything after it are the keeper's (RegisterWorker).
func (m *MsgRegisterWorker) ValidateBasic() error {
	info, err := protocol.DecodeRegistrationInfo(m.Info)
	if err != nil {
		return errorsmod.Wrap(ErrMalformedInfo, err.Error())
	}
	if info.Operator != m.Operator {
		return errorsmod.Wrapf(ErrOperatorMismatch, "info names %s, signed by %s", info.Operator, m.Operator)
	}
	if err := validKind(m.Attestation.TeeKind); err != nil {
		return err
	}
	if len(m.Attestation.Quote) == 0 || len(m.Attestation.Quote) > attest.MaxQuoteLen {
		return errorsmod.Wrapf(ErrMalformedAttestation, "quote is %d bytes, want 1-%d", len(m.Attestation.Quote), attest.MaxQuoteLen)
	}
	return nil
}

// ValidateBasic checks the params.
func (m *MsgUpdateParams) ValidateBasic() error { return m.Params.Validate() }

// ValidateBasic checks the kind's size, the measurement and the
// description's size.
func (m *MsgAddMeasurement) ValidateBasic() error {
	if err := validKind(m.TeeKind); err != nil {
		return err
	}
	if _, err := ParseMeasurement(m.Measurement); err != nil {
		return err
	}
	if len(m.Description) > MaxMeasurementDescriptionLen {
		return errorsmod.Wrapf(ErrInvalidMeasurement, "description longer than %d bytes", MaxMeasurementDescriptionLen)
	}
	return nil
}

// ValidateBasic checks the kind's size and the measurement.
func (m *MsgRemoveMeasurement) ValidateBasic() error {
	if err := validKind(m.TeeKind); err != nil {
		return err
	}
	_, err := ParseMeasurement(m.Measurement)
	return err
}
