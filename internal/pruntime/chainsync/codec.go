package chainsync

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

const (
	// MaxTrustedStateLen bounds an encoded TrustedState. A state at
	// MaxValidators (1,000) holds about 100 KB of validators and 120 KB of
	// commit signatures; this byte bound was sized for CometBFT's 10,000
	// and is kept.
	MaxTrustedStateLen = 4 << 20

	stateVersion = 1
)

// Marshal encodes the state for a checkpoint:
//
//	u8 version(1) || u8 len || chain id ||
//	u32 len || SignedHeader || u32 len || ValidatorSet
//
// where the two messages are the protobuf encodings of CometBFT's
// tendermint.types.SignedHeader and ValidatorSet (SignedHeader.Marshal and
// ValidatorSet.Marshal: byte for byte what CometBFT's gogoproto code
// writes, so checkpoints written before chainsync had its own types still
// load). Integers are big-endian. The encoding is canonical:
// UnmarshalTrustedState accepts exactly the bytes Marshal produces.
//
// Marshal does not protect the bytes: sealing and integrity are the
// checkpoint's job.
func (s TrustedState) Marshal() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(s.ChainID) > maxChainIDLen {
		return nil, fmt.Errorf("%w: chain id length %d exceeds %d", ErrInvalidState, len(s.ChainID), maxChainIDLen)
	}
	shb := s.Header.Marshal()
	vsb := s.Validators.Marshal()
	n := 1 + 1 + len(s.ChainID) + 4 + len(shb) + 4 + len(vsb)
	if n > MaxTrustedStateLen {
		return nil, fmt.Errorf("%w: encoding is %d bytes, limit %d", ErrInvalidState, n, MaxTrustedStateLen)
	}
	b := make([]byte, 0, n)
	b = append(b, stateVersion, byte(len(s.ChainID)))
	b = append(b, s.ChainID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(shb)))
	b = append(b, shb...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vsb)))
	b = append(b, vsb...)
	return b, nil
}

// UnmarshalTrustedState decodes a Marshal encoding strictly: bounded size,
// known version, no trailing bytes, canonical (re-encoding gives the input
// back). It re-checks that the state is self-consistent — the header is well
// formed for the chain id, the validator set hashes to the header's
// ValidatorsHash and signed its commit with more than 2/3 of the power — but
// it cannot tell whether the state ever came from Init or Verify: that is
// what the sealed checkpoint guarantees.
func UnmarshalTrustedState(b []byte) (TrustedState, error) {
	if len(b) > MaxTrustedStateLen {
		return TrustedState{}, fmt.Errorf("%w: %d bytes exceeds limit %d", ErrMalformedState, len(b), MaxTrustedStateLen)
	}
	r := reader{buf: b}
	if v := r.u8("version"); r.err == nil && v != stateVersion {
		return TrustedState{}, fmt.Errorf("%w: unknown version %d", ErrMalformedState, v)
	}
	chainID := string(r.take("chain id", int(r.u8("chain id length"))))
	shb := r.take("signed header", int(r.u32("signed header length")))
	vsb := r.take("validator set", int(r.u32("validator set length")))
	if r.err == nil && len(r.buf) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformedState, len(r.buf))
	}
	if r.err != nil {
		return TrustedState{}, r.err
	}
	if len(chainID) == 0 || len(chainID) > maxChainIDLen {
		return TrustedState{}, fmt.Errorf("%w: chain id length %d, want 1-%d", ErrMalformedState, len(chainID), maxChainIDLen)
	}

	sh, err := DecodeSignedHeader(shb)
	if err != nil {
		return TrustedState{}, fmt.Errorf("%w: %w", ErrMalformedState, err)
	}
	vals, err := DecodeValidatorSet(vsb)
	if err != nil {
		return TrustedState{}, fmt.Errorf("%w: %w", ErrMalformedState, err)
	}
	if err := checkHeader(chainID, sh, vals); err != nil {
		return TrustedState{}, fmt.Errorf("%w: %w", ErrMalformedState, err)
	}
	s := TrustedState{ChainID: chainID, Header: sh, Validators: vals}
	again, err := s.Marshal()
	if err != nil {
		return TrustedState{}, fmt.Errorf("%w: %w", ErrMalformedState, err)
	}
	if !bytes.Equal(again, b) {
		return TrustedState{}, fmt.Errorf("%w: not the canonical encoding", ErrMalformedState)
	}
	// Signatures last: they are the expensive check.
	if err := verifyCommit(chainID, vals, sh); err != nil {
		return TrustedState{}, fmt.Errorf("%w: %w", ErrMalformedState, err)
	}
	return s, nil
}

// reader consumes the checkpoint encoding; the first error sticks.
type reader struct {
	buf []byte
	err error
}

func (r *reader) take(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf) < n {
		r.err = fmt.Errorf("%w: %s: truncated: need %d bytes, have %d", ErrMalformedState, field, n, len(r.buf))
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

func (r *reader) u8(field string) uint8 {
	if b := r.take(field, 1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if b := r.take(field, 4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
