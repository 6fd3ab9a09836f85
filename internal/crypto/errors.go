package crypto

import "errors"

// Errors returned (wrapped, with detail) by this package. Callers branch with
// errors.Is. ErrTooLarge and ErrUnsupportedVersion errors returned by Open also
// match ErrMalformed. No error of this package carries secret bytes: not a key,
// not a plaintext, not an HKDF output.
var (
	// ErrInvalidSecret: a KDF secret shorter than MinSecretLen.
	ErrInvalidSecret = errors.New("crypto: invalid secret")
	// ErrInvalidPath: a derivation path with no parts, an oversized part, an
	// empty app id or chain id.
	ErrInvalidPath = errors.New("crypto: invalid derivation path")
	// ErrInvalidMasterKey: a master secret outside [1, N-1] or of the wrong
	// size, or a malformed master public key.
	ErrInvalidMasterKey = errors.New("crypto: invalid master key")
	// ErrKeyMismatch: a received key does not match the public key the chain
	// recorded for it.
	ErrKeyMismatch = errors.New("crypto: key does not match its public key on chain")
	// ErrRandom: the randomness source failed or kept returning out-of-range
	// scalars.
	ErrRandom = errors.New("crypto: randomness source failed")
	// ErrInvalidKey: a receive key (public or private) that is not an HPKE
	// MLKEM768X25519 key.
	ErrInvalidKey = errors.New("crypto: invalid receive key")
	// ErrInvalidInfo: an Info with an empty or oversized field.
	ErrInvalidInfo = errors.New("crypto: invalid HPKE info")
	// ErrWrongRecipient: Info.Recipient is not the key sealed to or opened with.
	ErrWrongRecipient = errors.New("crypto: info names a different recipient")
	// ErrMalformed: a sealed message that cannot be parsed.
	ErrMalformed = errors.New("crypto: malformed sealed message")
	// ErrTooLarge: a plaintext or sealed message over its bound.
	ErrTooLarge = errors.New("crypto: message exceeds its size bound")
	// ErrUnsupportedVersion: a sealed message of an unknown format version.
	ErrUnsupportedVersion = errors.New("crypto: unsupported sealed message version")
	// ErrDecrypt: the sealed message does not open with this key and info —
	// tampered, truncated inside the ciphertext, sealed to another key, or
	// sealed under another Info. Deliberately not more specific.
	ErrDecrypt = errors.New("crypto: decryption failed")
)
