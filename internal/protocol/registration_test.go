package protocol_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func TestRegistrationInfoRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*protocol.RegistrationInfo)
	}{
		{"genesis trust root", func(*protocol.RegistrationInfo) {}},
		{"trusted header", func(ri *protocol.RegistrationInfo) { ri.TrustRoot.Height = 1_000_000 }},
		{"max lengths", func(ri *protocol.RegistrationInfo) {
			ri.ChainID = strings.Repeat("c", protocol.MaxChainIDLen)
			ri.Operator = strings.Repeat("o", protocol.MaxOperatorLen)
			ri.Version = strings.Repeat("v", protocol.MaxVersionLen)
			ri.TrustRoot.Height = ^uint64(0)
		}},
		{"min lengths", func(ri *protocol.RegistrationInfo) {
			ri.ChainID, ri.Operator, ri.Version = "c", "o", "v"
		}},
		{"successor", func(ri *protocol.RegistrationInfo) { ri.Predecessor = pub(testKey(2)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ri := testInfo(t)
			tc.edit(&ri)
			b := mustEncodeInfo(t, ri)
			if len(b) > protocol.MaxRegistrationInfoLen {
				t.Fatalf("encoding is %d bytes, over the limit %d", len(b), protocol.MaxRegistrationInfoLen)
			}
			got, err := protocol.DecodeRegistrationInfo(b)
			if err != nil {
				t.Fatalf("DecodeRegistrationInfo: %v", err)
			}
			if got.ChainID != ri.ChainID || !bytes.Equal(got.IdentityKey, ri.IdentityKey) ||
				!bytes.Equal(got.ReceiveKey, ri.ReceiveKey) || got.Operator != ri.Operator ||
				got.Version != ri.Version || got.TrustRoot.Height != ri.TrustRoot.Height ||
				!bytes.Equal(got.TrustRoot.Hash, ri.TrustRoot.Hash) || !bytes.Equal(got.Predecessor, ri.Predecessor) {
				t.Fatalf("round trip: got %+v, want %+v", got, ri)
			}
			if again := mustEncodeInfo(t, got); !bytes.Equal(again, b) {
				t.Fatal("re-encoding differs")
			}
		})
	}
}

func TestRegistrationInfoEncodeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*protocol.RegistrationInfo)
	}{
		{"empty chain id", func(ri *protocol.RegistrationInfo) { ri.ChainID = "" }},
		{"long chain id", func(ri *protocol.RegistrationInfo) { ri.ChainID = strings.Repeat("c", protocol.MaxChainIDLen+1) }},
		{"short identity key", func(ri *protocol.RegistrationInfo) { ri.IdentityKey = ri.IdentityKey[:31] }},
		{"nil identity key", func(ri *protocol.RegistrationInfo) { ri.IdentityKey = nil }},
		{"short receive key", func(ri *protocol.RegistrationInfo) { ri.ReceiveKey = ri.ReceiveKey[:protocol.ReceiveKeyLen-1] }},
		{"long receive key", func(ri *protocol.RegistrationInfo) { ri.ReceiveKey = append(bytes.Clone(ri.ReceiveKey), 0) }},
		{"receive key not ML-KEM", func(ri *protocol.RegistrationInfo) {
			// Coefficients of 0xfff exceed the ML-KEM modulus q = 3329.
			ri.ReceiveKey = bytes.Repeat([]byte{0xff}, protocol.ReceiveKeyLen)
		}},
		{"empty operator", func(ri *protocol.RegistrationInfo) { ri.Operator = "" }},
		{"long operator", func(ri *protocol.RegistrationInfo) { ri.Operator = strings.Repeat("o", protocol.MaxOperatorLen+1) }},
		{"empty version", func(ri *protocol.RegistrationInfo) { ri.Version = "" }},
		{"long version", func(ri *protocol.RegistrationInfo) { ri.Version = strings.Repeat("v", protocol.MaxVersionLen+1) }},
		{"short trust hash", func(ri *protocol.RegistrationInfo) { ri.TrustRoot.Hash = ri.TrustRoot.Hash[:31] }},
		{"nil trust hash", func(ri *protocol.RegistrationInfo) { ri.TrustRoot.Hash = nil }},
		{"short predecessor", func(ri *protocol.RegistrationInfo) { ri.Predecessor = pub(testKey(2))[:31] }},
		{"own predecessor", func(ri *protocol.RegistrationInfo) { ri.Predecessor = ri.IdentityKey }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ri := testInfo(t)
			tc.edit(&ri)
			if b, err := ri.Encode(); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("Encode = %x, %v; want ErrMalformed", b, err)
			}
		})
	}
}

// rawInfo encodes registration info field by field without validation.
type rawInfo struct {
	version     byte
	chainID     string
	identityKey []byte
	receiveKey  []byte
	operator    string
	ver         string
	height      uint64
	hash        []byte
}

func validRawInfo(t testing.TB) rawInfo {
	ri := testInfo(t)
	return rawInfo{1, ri.ChainID, ri.IdentityKey, ri.ReceiveKey, ri.Operator, ri.Version, ri.TrustRoot.Height, ri.TrustRoot.Hash}
}

func (r rawInfo) bytes() []byte {
	b := []byte{r.version, byte(len(r.chainID))}
	b = append(b, r.chainID...)
	b = append(b, r.identityKey...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(r.receiveKey)))
	b = append(b, r.receiveKey...)
	b = append(b, byte(len(r.operator)))
	b = append(b, r.operator...)
	b = append(b, byte(len(r.ver)))
	b = append(b, r.ver...)
	b = binary.BigEndian.AppendUint64(b, r.height)
	return append(b, r.hash...)
}

func TestDecodeRegistrationInfoRejects(t *testing.T) {
	t.Parallel()
	valid := validRawInfo(t).bytes()
	if !bytes.Equal(valid, mustEncodeInfo(t, testInfo(t))) {
		t.Fatal("rawInfo does not match Encode; fix the test helper")
	}
	with := func(f func(*rawInfo)) []byte {
		r := validRawInfo(t)
		f(&r)
		return r.bytes()
	}
	tests := []struct {
		name string
		in   []byte
		also error // a finer sentinel the error must match too, if any
	}{
		{"nil", nil, nil},
		{"trailing byte", append(bytes.Clone(valid), 0), nil},
		{"version 0", with(func(r *rawInfo) { r.version = 0 }), nil},
		{"version 2 without predecessor", with(func(r *rawInfo) { r.version = 2 }), nil},
		{"version 3", with(func(r *rawInfo) { r.version = 3 }), nil},
		{"version 1 with predecessor", append(bytes.Clone(valid), pub(testKey(2))...), nil},
		{"version 2 short predecessor", append(with(func(r *rawInfo) { r.version = 2 }), pub(testKey(2))[:31]...), nil},
		{"own predecessor", append(with(func(r *rawInfo) { r.version = 2 }), pub(testKey(1))...), nil},
		{"empty chain id", with(func(r *rawInfo) { r.chainID = "" }), nil},
		{"long chain id", with(func(r *rawInfo) { r.chainID = strings.Repeat("c", protocol.MaxChainIDLen+1) }), protocol.ErrTooLarge},
		{"short identity key", with(func(r *rawInfo) { r.identityKey = r.identityKey[:31] }), nil},
		{"receive key length over limit", with(func(r *rawInfo) { r.receiveKey = make([]byte, protocol.ReceiveKeyLen+1) }), protocol.ErrTooLarge},
		{"receive key short", with(func(r *rawInfo) { r.receiveKey = r.receiveKey[:protocol.ReceiveKeyLen-1] }), nil},
		{"receive key not ML-KEM", with(func(r *rawInfo) { r.receiveKey = bytes.Repeat([]byte{0xff}, protocol.ReceiveKeyLen) }), nil},
		{"empty operator", with(func(r *rawInfo) { r.operator = "" }), nil},
		{"long operator", with(func(r *rawInfo) { r.operator = strings.Repeat("o", protocol.MaxOperatorLen+1) }), protocol.ErrTooLarge},
		{"empty version", with(func(r *rawInfo) { r.ver = "" }), nil},
		{"long version", with(func(r *rawInfo) { r.ver = strings.Repeat("v", protocol.MaxVersionLen+1) }), protocol.ErrTooLarge},
		{"short trust hash", with(func(r *rawInfo) { r.hash = r.hash[:31] }), nil},
		{"long trust hash", with(func(r *rawInfo) { r.hash = append(bytes.Clone(r.hash), 0) }), nil},
		{"over limit", append(bytes.Clone(valid), make([]byte, protocol.MaxRegistrationInfoLen)...), protocol.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ri, err := protocol.DecodeRegistrationInfo(tc.in)
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("DecodeRegistrationInfo = %+v, %v; want ErrMalformed", ri, err)
			}
			if tc.also != nil && !errors.Is(err, tc.also) {
				t.Fatalf("DecodeRegistrationInfo: err = %v, want it to match %v too", err, tc.also)
			}
		})
	}
}

func TestDecodeRegistrationInfoTruncated(t *testing.T) {
	t.Parallel()
	successor := testInfo(t)
	successor.Predecessor = pub(testKey(2))
	for _, valid := range [][]byte{mustEncodeInfo(t, testInfo(t)), mustEncodeInfo(t, successor)} {
		for n := range len(valid) {
			if _, err := protocol.DecodeRegistrationInfo(valid[:n]); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrMalformed", n, len(valid), err)
			}
		}
	}
}

// A registration without a predecessor encodes exactly as before successors
// existed (version 1), so registrations and attestations made by older
// pRuntimes stay valid; one with a predecessor is version 2 and the
// predecessor is inside the bytes the report data binds.
func TestRegistrationInfoPredecessorEncoding(t *testing.T) {
	t.Parallel()
	plain := mustEncodeInfo(t, testInfo(t))
	if plain[0] != 1 || !bytes.Equal(plain, validRawInfo(t).bytes()) {
		t.Fatalf("a registration without predecessor is not the version-1 encoding")
	}
	ri := testInfo(t)
	ri.Predecessor = pub(testKey(2))
	succ := mustEncodeInfo(t, ri)
	if succ[0] != 2 || !bytes.Equal(succ[1:len(plain)], plain[1:]) || !bytes.Equal(succ[len(plain):], ri.Predecessor) {
		t.Fatalf("successor encoding %x is not version 2 with the predecessor appended", succ)
	}
	if protocol.ReportData(testChainID, succ) == protocol.ReportData(testChainID, plain) {
		t.Fatal("the report data does not bind the predecessor")
	}
}

// ReportData must change with every input it binds: the chain id and every
// byte of the registration info.
func TestReportDataBinding(t *testing.T) {
	t.Parallel()
	info := mustEncodeInfo(t, testInfo(t))
	base := protocol.ReportData(testChainID, info)
	if base != protocol.ReportData(testChainID, bytes.Clone(info)) {
		t.Fatal("ReportData is not deterministic")
	}
	if base == protocol.ReportData("gatekeeper-other-1", info) {
		t.Error("ReportData ignores the chain id")
	}
	for i := range info {
		if base == protocol.ReportData(testChainID, flip(info, i)) {
			t.Fatalf("ReportData ignores byte %d of the info", i)
		}
	}
}

// The length prefixes in SigningBytes keep (context, chain id, body) triples
// from colliding when their concatenations do.
func TestSigningBytesUnambiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b [3]string
	}{
		{"context/chain boundary", [3]string{"ab", "c", "d"}, [3]string{"a", "bc", "d"}},
		{"chain/body boundary", [3]string{"a", "bc", "d"}, [3]string{"a", "b", "cd"}},
		{"empty chain id", [3]string{"a", "", "bc"}, [3]string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := protocol.SigningBytes(tc.a[0], tc.a[1], []byte(tc.a[2]))
			y := protocol.SigningBytes(tc.b[0], tc.b[1], []byte(tc.b[2]))
			if bytes.Equal(x, y) {
				t.Fatalf("%q and %q sign the same bytes %x", tc.a, tc.b, x)
			}
		})
	}
}

// Contexts must be distinct, or a signature for one object would verify as another.
func TestContextsDistinct(t *testing.T) {
	t.Parallel()
	contexts := []string{protocol.ContextMQ, protocol.ContextReportData, protocol.ContextSimQuote,
		protocol.ContextMasterKeyTransfer, protocol.ContextClusterKeyTransfer, protocol.ContextMigrationHandover}
	seen := map[string]bool{}
	for _, c := range contexts {
		if seen[c] {
			t.Errorf("context %q defined twice", c)
		}
		seen[c] = true
		if !strings.HasPrefix(c, "gatekeeper/") {
			t.Errorf("context %q lacks the gatekeeper/ namespace", c)
		}
	}
}
