package protocol

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// maxKeyInError bounds how much of an unparsable key an error repeats: the
// string comes from a transaction or a query and could be as large as it.
const maxKeyInError = 100

// ParseIdentityKey decodes an identity key written as hex (as operators type
// it) or standard base64 (as JSON output shows bytes); either must decode to
// exactly IdentityKeyLen bytes.
func ParseIdentityKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == IdentityKeyLen {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == IdentityKeyLen {
		return b, nil
	}
	shown := s
	if len(shown) > maxKeyInError {
		shown = fmt.Sprintf("%s… (%d bytes)", shown[:maxKeyInError], len(s))
	}
	return nil, fmt.Errorf("protocol: %q is not a %d-byte key in hex or base64", shown, IdentityKeyLen)
}
