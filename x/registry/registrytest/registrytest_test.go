package registrytest_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
)

func TestFakeVerifier(t *testing.T) {
	t.Parallel()
	var rd [64]byte
	rd[0], rd[63] = 1, 2
	good := registrytest.FakeQuote(3, registrytest.FakeMeasurement, rd)
	tests := []struct {
		name    string
		quote   []byte
		wantErr error
	}{
		{"fake quote", good, nil},
		{"short", good[:len(good)-1], attest.ErrMalformedQuote},
		{"long", append(bytes.Clone(good), 0), attest.ErrMalformedQuote},
		{"empty", nil, attest.ErrMalformedQuote},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := registrytest.FakeVerifier{}.Verify(tc.quote, time.Time{}, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify: error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if r.Kind != registrytest.FakeKind || r.ConfidenceLevel != 3 ||
				!bytes.Equal(r.Measurement, registrytest.FakeMeasurement[:]) || r.ReportData != rd {
				t.Errorf("Verify = %+v, want kind %s, level 3, the fake measurement and report data", r, registrytest.FakeKind)
			}
		})
	}
}

func TestFakeMsg(t *testing.T) {
	t.Parallel()
	info := registrytest.Info(t, "c", "op", 7)
	if !bytes.Equal(info.IdentityKey, registrytest.Pub(registrytest.TestKey(7))) {
		t.Fatalf("Info: identity key is not TestKey(7)'s")
	}
	msg := registrytest.FakeMsg(t, info, 2)
	r, err := registrytest.FakeVerifier{}.Verify(msg.Attestation.Quote, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := protocol.ReportData("c", msg.Info); r.ReportData != want || msg.Operator != "op" || msg.Attestation.TeeKind != registrytest.FakeKind {
		t.Errorf("FakeMsg = %+v: not a fake-kind registration of info by op", msg)
	}
}

func TestHasEvent(t *testing.T) {
	t.Parallel()
	events := sdk.Events{
		sdk.NewEvent("a", sdk.NewAttribute("k", "v"), sdk.NewAttribute("x", "y")),
		sdk.NewEvent("b", sdk.NewAttribute("k", "w")),
	}
	tests := []struct {
		name  string
		typ   string
		attrs map[string]string
		want  bool
	}{
		{"type only", "b", nil, true},
		{"all attributes", "a", map[string]string{"k": "v", "x": "y"}, true},
		{"attribute of another event", "a", map[string]string{"k": "w"}, false},
		{"missing attribute", "a", map[string]string{"z": "v"}, false},
		{"missing type", "c", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := registrytest.HasEvent(events, tc.typ, tc.attrs); got != tc.want {
				t.Errorf("HasEvent(%s, %v) = %v, want %v", tc.typ, tc.attrs, got, tc.want)
			}
		})
	}
}
