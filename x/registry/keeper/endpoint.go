package keeper

import (
	"encoding/hex"
	"net/url"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// HandleEndpoint is the x/mq handler of protocol.TopicWorkerEndpoint: a
// registered worker announces the URL of its public RPC.
func (k *Keeper) HandleEndpoint(ctx sdk.Context, m protocol.Message) error {
	if m.Origin.Kind != protocol.OriginWorker {
		return errorsmod.Wrapf(types.ErrInvalidEndpoint, "sent by %s, want a worker", m.Origin)
	}
	endpoint, err := ParseEndpoint(m.Payload)
	if err != nil {
		return err
	}
	// Only the endpoint is written: the worker's record stays as it is.
	switch ok, err := k.Workers.Has(ctx, m.Origin.ID); {
	case err != nil:
		return err
	case !ok:
		return errorsmod.Wrapf(types.ErrWorkerNotFound, "%x", m.Origin.ID)
	}
	if err := k.Endpoints.Set(ctx, m.Origin.ID, endpoint); err != nil {
		return err
	}
	ctx.EventManager().EmitEvent(sdk.NewEvent(types.EventEndpointUpdated,
		sdk.NewAttribute(types.AttributeIdentityKey, hex.EncodeToString(m.Origin.ID)),
		sdk.NewAttribute(types.AttributeEndpoint, endpoint)))
	return nil
}

// ParseEndpoint accepts an absolute http or https URL with a host and no
// credentials, of at most protocol.MaxEndpointLen bytes before and after
// normalization, and returns its normalized form.
func ParseEndpoint(b []byte) (string, error) {
	if len(b) == 0 || len(b) > protocol.MaxEndpointLen || !utf8.Valid(b) {
		return "", errorsmod.Wrapf(types.ErrInvalidEndpoint, "want 1-%d bytes of UTF-8", protocol.MaxEndpointLen)
	}
	u, err := url.Parse(string(b))
	if err != nil {
		return "", errorsmod.Wrap(types.ErrInvalidEndpoint, err.Error())
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", errorsmod.Wrapf(types.ErrInvalidEndpoint, "%q: want http(s)://host[:port][/path]", b)
	}
	// Normalization escapes characters (a space becomes "%20"), so the stored
	// form is bounded again: it is what clients read and what a re-parse sees.
	out := u.String()
	if len(out) > protocol.MaxEndpointLen {
		return "", errorsmod.Wrapf(types.ErrInvalidEndpoint, "normalized to %d bytes, limit %d", len(out), protocol.MaxEndpointLen)
	}
	return out, nil
}

// requireOrigin checks a handler's origin. x/mq's routes admit only the
// right kind; handlers check again so that a wiring mistake fails closed.
func requireOrigin(m protocol.Message, kind protocol.OriginKind) error {
	if m.Origin.Kind == kind {
		return nil
	}
	want := "a worker"
	if kind == protocol.OriginGatekeeper {
		want = "the gatekeepers (quorum)"
	}
	return errorsmod.Wrapf(types.ErrInvalidOrigin, "%s sent on %q, which takes messages from %s only", m.Origin, m.Topic, want)
}
