package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// The Msgs' ValidateBasic methods hold the checks that need no state; the
// node runs them in CheckTx before a fee is taken (see x/gatekeeper's
// msgs.go). The keeper repeats what it needs.

var (
	_ sdk.HasValidateBasic = (*MsgStartComputing)(nil)
	_ sdk.HasValidateBasic = (*MsgStopComputing)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
)

// ParseKey decodes a 32-byte identity key given as hex or base64
// (protocol.ParseIdentityKey), as ErrInvalidKey.
func ParseKey(s string) ([]byte, error) {
	b, err := protocol.ParseIdentityKey(s)
	if err != nil {
		return nil, errorsmod.Wrap(ErrInvalidKey, err.Error())
	}
	return b, nil
}

// ValidateBasic checks the worker key and that the stake is a valid,
// positive coin that fits the engine's integer range. Its denom against
// the params is the keeper's check.
func (m *MsgStartComputing) ValidateBasic() error {
	if _, err := ParseKey(m.Worker); err != nil {
		return err
	}
	switch {
	case sdk.ValidateDenom(m.Stake.Denom) != nil:
		return errorsmod.Wrapf(ErrInvalidStake, "stake denom %q is not a denom", m.Stake.Denom)
	case m.Stake.Amount.IsNil() || !m.Stake.Amount.IsPositive():
		return errorsmod.Wrap(ErrInvalidStake, "stake must be positive")
	case !m.Stake.Amount.IsUint64():
		return errorsmod.Wrapf(ErrInvalidStake, "stake %s too large", m.Stake)
	}
	return nil
}

// ValidateBasic checks the worker key.
func (m *MsgStopComputing) ValidateBasic() error {
	_, err := ParseKey(m.Worker)
	return err
}

// ValidateBasic checks the params.
func (m *MsgUpdateParams) ValidateBasic() error { return m.Params.Validate() }
