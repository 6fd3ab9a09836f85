package pherry

import (
	"context"
	"fmt"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/client"
	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/std"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txsigning "github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/gatekeeper-net/gatekeeper/app/params"
	computationtypes "github.com/gatekeeper-net/gatekeeper/x/computation/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// Codec returns the codec and tx config pherry signs with: the SDK's base
// types plus the messages pherry (and tools built on it) send, and nothing
// of the chain's keepers.
func Codec() (codec.Codec, client.TxConfig, error) {
	params.SetAddressPrefixes()
	cfg := sdk.GetConfig()
	ir, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: gogoproto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          address.Bech32Codec{Bech32Prefix: cfg.GetBech32AccountAddrPrefix()},
			ValidatorAddressCodec: address.Bech32Codec{Bech32Prefix: cfg.GetBech32ValidatorAddrPrefix()},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	std.RegisterInterfaces(ir)
	authtypes.RegisterInterfaces(ir)
	mqtypes.RegisterInterfaces(ir)
	registrytypes.RegisterInterfaces(ir)
	computationtypes.RegisterInterfaces(ir)
	cdc := codec.NewProtoCodec(ir)
	return cdc, authtx.NewTxConfig(cdc, authtx.DefaultSignModes), nil
}

// signer signs and broadcasts transactions from the operator account,
// tracking its sequence locally and refreshing it from the chain on mismatch.
type signer struct {
	cdc      codec.Codec
	txCfg    client.TxConfig
	kr       keyring.Keyring
	name     string
	addr     sdk.AccAddress
	chainID  string
	node     *rpchttp.HTTP
	gasPrice sdk.DecCoins

	loaded bool
	accNum uint64
	seq    uint64
}

// refresh reads the account's number and sequence from the chain.
func (s *signer) refresh(ctx context.Context) error {
	req := &authtypes.QueryAccountRequest{Address: s.addr.String()}
	var resp authtypes.QueryAccountResponse
	if err := abciQuery(ctx, s.node, "/cosmos.auth.v1beta1.Query/Account", req, &resp, 0); err != nil {
		return fmt.Errorf("pherry: operator account %s (is it funded?): %w", s.addr, err)
	}
	var acc sdk.AccountI
	if err := s.cdc.UnpackAny(resp.Account, &acc); err != nil {
		return fmt.Errorf("pherry: operator account: %w", err)
	}
	s.accNum, s.seq, s.loaded = acc.GetAccountNumber(), acc.GetSequence(), true
	return nil
}

// send signs msgs with gas and broadcasts them (sync mode). A sequence
// mismatch refreshes the account and retries once. A CheckTx rejection is
// returned as a *TxError.
func (s *signer) send(ctx context.Context, gas uint64, msgs ...sdk.Msg) (string, error) {
	if !s.loaded {
		if err := s.refresh(ctx); err != nil {
			return "", err
		}
	}
	for attempt := 0; ; attempt++ {
		hash, err := s.sendOnce(ctx, gas, msgs)
		var txErr *TxError
		if attempt == 0 && asTxError(err, &txErr) && txErr.Codespace == sdkerrors.RootCodespace && txErr.Code == sdkerrors.ErrWrongSequence.ABCICode() {
			if err := s.refresh(ctx); err != nil {
				return "", err
			}
			continue
		}
		return hash, err
	}
}

func (s *signer) sendOnce(ctx context.Context, gas uint64, msgs []sdk.Msg) (string, error) {
	f := clienttx.Factory{}.
		WithChainID(s.chainID).WithKeybase(s.kr).WithTxConfig(s.txCfg).
		WithAccountNumber(s.accNum).WithSequence(s.seq).WithGas(gas).
		WithSignMode(txsigning.SignMode_SIGN_MODE_DIRECT)
	fees := make(sdk.Coins, 0, len(s.gasPrice))
	for _, p := range s.gasPrice {
		fees = append(fees, sdk.NewCoin(p.Denom, p.Amount.MulInt64(int64(gas)).Ceil().TruncateInt()))
	}
	f = f.WithFees(fees.String())
	builder, err := f.BuildUnsignedTx(msgs...)
	if err != nil {
		return "", fmt.Errorf("pherry: building tx: %w", err)
	}
	if err := clienttx.Sign(ctx, f, s.name, builder, true); err != nil {
		return "", fmt.Errorf("pherry: signing tx: %w", err)
	}
	bz, err := s.txCfg.TxEncoder()(builder.GetTx())
	if err != nil {
		return "", err
	}
	res, err := s.node.BroadcastTxSync(ctx, bz)
	if err != nil {
		return "", fmt.Errorf("pherry: broadcast: %w", err)
	}
	if res.Code != 0 {
		return res.Hash.String(), &TxError{Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	s.seq++
	return res.Hash.String(), nil
}

// TxError is a transaction the node's CheckTx rejected.
type TxError struct {
	Codespace string
	Code      uint32
	Log       string
}

func (e *TxError) Error() string {
	return fmt.Sprintf("pherry: tx rejected (%s %d): %s", e.Codespace, e.Code, e.Log)
}

// Is matches registered SDK errors by codespace and code.
func (e *TxError) is(codespace string, code uint32) bool {
	return e.Codespace == codespace && e.Code == code
}

func asTxError(err error, target **TxError) bool {
	if err == nil {
		return false
	}
	te, ok := err.(*TxError)
	if ok {
		*target = te
	}
	return ok
}

// Signer signs and broadcasts transactions from a keyring account. The
// relayer uses one internally; tools such as `gkd devnet` use it with a codec
// that knows the messages they send (governance proposals, clusters).
type Signer struct{ s *signer }

// NewSigner loads keyName from kr. gasPrices (e.g. "0.001stake") sets the
// fee as gas × price.
func NewSigner(nodeRPC, chainID string, kr keyring.Keyring, keyName, gasPrices string, cdc codec.Codec, txCfg client.TxConfig) (*Signer, error) {
	node, err := rpchttp.NewWithTimeout(nodeRPC, "/websocket", nodeRPCTimeoutSeconds)
	if err != nil {
		return nil, fmt.Errorf("pherry: node %s: %w", nodeRPC, err)
	}
	rec, err := kr.Key(keyName)
	if err != nil {
		return nil, fmt.Errorf("pherry: key %q: %w", keyName, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, err
	}
	prices, err := sdk.ParseDecCoins(gasPrices)
	if err != nil {
		return nil, fmt.Errorf("pherry: gas prices %q: %w", gasPrices, err)
	}
	return &Signer{&signer{cdc: cdc, txCfg: txCfg, kr: kr, name: keyName, addr: addr, chainID: chainID, node: node, gasPrice: prices}}, nil
}

// Address is the signing account.
func (s *Signer) Address() sdk.AccAddress { return s.s.addr }

// Send signs msgs with the given gas and broadcasts them; it returns the tx
// hash once CheckTx accepted the tx (a rejection is a *TxError).
func (s *Signer) Send(ctx context.Context, gas uint64, msgs ...sdk.Msg) (string, error) {
	return s.s.send(ctx, gas, msgs...)
}
