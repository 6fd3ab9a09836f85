package types

import (
	"errors"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// The Msgs' ValidateBasic methods hold the checks that need no state; the
// node runs them in CheckTx before a fee is taken (see x/gatekeeper's
// msgs.go). The keeper repeats what it needs.

var (
	_ sdk.HasValidateBasic = (*MsgSyncMessages)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
)

// ValidateBasic checks that there are 1 to MaxMessagesPerTxLimit messages
// (the keeper holds them to the max_messages_per_tx param) and that each
// decodes: its body canonically within protocol's size bounds, its signer
// a key and its signature a signature's size. The signature itself is
// verified in the ante handler and the keeper, against the sender's
// registration.
func (m *MsgSyncMessages) ValidateBasic() error {
	if len(m.Messages) == 0 {
		return errorsmod.Wrap(ErrInvalidSubmission, "no messages")
	}
	if len(m.Messages) > MaxMessagesPerTxLimit {
		return errorsmod.Wrapf(ErrTooManyMessages, "%d messages, limit %d", len(m.Messages), MaxMessagesPerTxLimit)
	}
	for i, sm := range m.Messages {
		if _, err := protocol.DecodeSigned(protocol.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}); err != nil {
			return errorsmod.Wrapf(DecodeError(err), "message %d", i)
		}
	}
	return nil
}

// ValidateBasic checks the params.
func (m *MsgUpdateParams) ValidateBasic() error { return m.Params.Validate() }

// DecodeError maps an error of protocol.DecodeSigned, or a signature that
// does not verify, to the registered error naming its cause; the protocol's
// message is kept as detail.
func DecodeError(err error) error {
	switch {
	case errors.Is(err, protocol.ErrTooLarge):
		return errorsmod.Wrap(ErrPayloadTooLarge, err.Error())
	case errors.Is(err, protocol.ErrInvalidTopic):
		return errorsmod.Wrap(ErrInvalidTopic, err.Error())
	case errors.Is(err, protocol.ErrBadSignature):
		return errorsmod.Wrap(ErrInvalidSignature, err.Error())
	case errors.Is(err, protocol.ErrSignerOrigin):
		return errorsmod.Wrap(ErrInvalidOrigin, err.Error())
	default:
		return errorsmod.Wrap(ErrMalformedMessage, err.Error())
	}
}
