package protocol_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

func TestOriginKeyRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		origin protocol.Origin
		str    string
	}{
		{"module", protocol.ModuleOrigin("registry"), "module:registry"},
		{"worker", protocol.WorkerOrigin(pub(testKey(1))), "worker:" + hex.EncodeToString(pub(testKey(1)))},
		{"gatekeeper", protocol.GatekeeperOrigin(), "gatekeeper"},
		{"gatekeeper lane", protocol.GatekeeperLane("computation"), "gatekeeper:computation"},
		{"cluster", protocol.ClusterOrigin(1234567890123), "cluster:1234567890123"},
		{"account", protocol.AccountOrigin(bytes.Repeat([]byte{0xa1}, 20)), "account:" + strings.Repeat("a1", 20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.origin.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			key := tc.origin.Key()
			if key[0] != byte(tc.origin.Kind) {
				t.Fatalf("key starts with %d, want kind %d", key[0], tc.origin.Kind)
			}
			got, err := protocol.OriginFromKey(key)
			if err != nil {
				t.Fatalf("OriginFromKey: %v", err)
			}
			if !got.Equal(tc.origin) {
				t.Fatalf("round trip: got %v, want %v", got, tc.origin)
			}
			if !strings.HasPrefix(got.String(), tc.str) {
				t.Fatalf("String() = %q, want prefix %q", got.String(), tc.str)
			}
		})
	}
}

// Constructors copy their input so that a caller reusing its buffer cannot
// change an origin after the fact.
func TestOriginConstructorsCopy(t *testing.T) {
	t.Parallel()
	key := pub(testKey(3))
	buf := bytes.Clone(key)
	w := protocol.WorkerOrigin(buf)
	addr := bytes.Repeat([]byte{1}, 20)
	a := protocol.AccountOrigin(addr)
	buf[0] ^= 0xff
	addr[0] ^= 0xff
	if !bytes.Equal(w.ID, key) {
		t.Error("WorkerOrigin aliases its argument")
	}
	if a.ID[0] != 1 {
		t.Error("AccountOrigin aliases its argument")
	}
}

func TestOriginRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  []byte
	}{
		{"empty key", nil},
		{"kind 0", []byte{0}},
		{"kind 6", []byte{6, 1, 2}},
		{"module empty", []byte{byte(protocol.OriginModule)}},
		{"module bad char", append([]byte{byte(protocol.OriginModule)}, "bank-x"...)},
		{"module too long", append([]byte{byte(protocol.OriginModule)}, strings.Repeat("a", protocol.MaxModuleNameLen+1)...)},
		{"worker short", append([]byte{byte(protocol.OriginWorker)}, make([]byte, 31)...)},
		{"gatekeeper lane not a name", []byte{byte(protocol.OriginGatekeeper), 0}},
		{"cluster short", append([]byte{byte(protocol.OriginCluster)}, make([]byte, 4)...)},
		{"account 19", append([]byte{byte(protocol.OriginAccount)}, make([]byte, 19)...)},
		{"account 33", append([]byte{byte(protocol.OriginAccount)}, make([]byte, 33)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := protocol.OriginFromKey(tc.key); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("OriginFromKey: err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestOriginEqualAndString(t *testing.T) {
	t.Parallel()
	a := protocol.ClusterOrigin(1)
	b := protocol.ClusterOrigin(2)
	if a.Equal(b) || !a.Equal(protocol.ClusterOrigin(1)) {
		t.Error("Equal compares ids wrongly")
	}
	if protocol.GatekeeperOrigin().Equal(protocol.Origin{Kind: protocol.OriginModule}) {
		t.Error("Equal ignores kind")
	}
	if s := (protocol.Origin{Kind: 9, ID: []byte{1}}).String(); s != "invalid(9:01)" {
		t.Errorf("String of invalid origin = %q", s)
	}
	if s := (protocol.Origin{Kind: protocol.OriginCluster, ID: []byte{1}}).String(); s != "invalid(4:01)" {
		t.Errorf("String of short cluster origin = %q", s)
	}
}

func TestValidateTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		topic  string
		valid  bool
		module string
	}{
		{"registry/endpoint", true, "registry"},
		{"a/b", true, "a"},
		{"gatekeeper/master_key/v2", true, "gatekeeper"},
		{"mq/0/1/2/3", true, "mq"},
		{strings.Repeat("m", protocol.MaxModuleNameLen) + "/x", true, strings.Repeat("m", protocol.MaxModuleNameLen)},
		{"a/" + strings.Repeat("b", protocol.MaxTopicLen-2), true, "a"},
		{"", false, ""},
		{"registry", false, ""},
		{"/", false, ""},
		{"registry/", false, ""},
		{"/endpoint", false, ""},
		{"registry//endpoint", false, ""},
		{"Registry/endpoint", false, ""},
		{"registry/end-point", false, ""},
		{"registry/end.point", false, ""},
		{"registry/endpoint\n", false, ""},
		{"a/" + strings.Repeat("b", protocol.MaxTopicLen-1), false, ""},
		{strings.Repeat("m", protocol.MaxModuleNameLen+1) + "/x", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.topic, func(t *testing.T) {
			t.Parallel()
			err := protocol.ValidateTopic(tc.topic)
			if tc.valid {
				if err != nil {
					t.Fatalf("ValidateTopic: %v", err)
				}
				if got := protocol.TopicModule(tc.topic); got != tc.module {
					t.Fatalf("TopicModule = %q, want %q", got, tc.module)
				}
				return
			}
			if !errors.Is(err, protocol.ErrMalformed) || !errors.Is(err, protocol.ErrInvalidTopic) {
				t.Fatalf("ValidateTopic: err = %v, want ErrMalformed and ErrInvalidTopic", err)
			}
		})
	}
}

func TestParseOrigin(t *testing.T) {
	t.Parallel()
	valid := []protocol.Origin{
		protocol.ModuleOrigin("registry"),
		protocol.WorkerOrigin(pub(testKey(1))),
		protocol.GatekeeperOrigin(),
		protocol.GatekeeperLane("computation"),
		protocol.ClusterOrigin(0),
		protocol.ClusterOrigin(^uint64(0)),
		protocol.AccountOrigin(bytes.Repeat([]byte{0xa1}, 20)),
		protocol.AccountOrigin(bytes.Repeat([]byte{0xa1}, 32)),
	}
	for _, o := range valid {
		t.Run(o.String(), func(t *testing.T) {
			t.Parallel()
			got, err := protocol.ParseOrigin(o.String())
			if err != nil {
				t.Fatalf("ParseOrigin: %v", err)
			}
			if !got.Equal(o) {
				t.Fatalf("ParseOrigin(%q) = %v", o.String(), got)
			}
		})
	}
	invalid := []string{
		"",
		"gatekeeper:Lane",
		"gatekeeper:" + strings.Repeat("a", protocol.MaxModuleNameLen+1),
		"worker",
		"worker:",
		"worker:zz",
		"worker:" + strings.Repeat("ab", 31),
		"account:" + strings.Repeat("ab", 21),
		"cluster:",
		"cluster:-1",
		"cluster:x",
		"cluster:18446744073709551616",
		"module:",
		"module:Bank",
		"validator:1",
		"invalid(9:01)",
	}
	for _, s := range invalid {
		t.Run("reject "+s, func(t *testing.T) {
			t.Parallel()
			if o, err := protocol.ParseOrigin(s); !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("ParseOrigin(%q) = %v, %v; want ErrMalformed", s, o, err)
			}
		})
	}
}

// FuzzParseOrigin: ParseOrigin never panics, and whatever it accepts is a
// valid origin whose String form parses back to the same origin.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"gatekeeper", "module:registry", "cluster:42", "worker:" + hex.EncodeToString(pub(testKey(1))), "account:" + strings.Repeat("00", 20), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := protocol.ParseOrigin(s)
		if err != nil {
			if !errors.Is(err, protocol.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("accepted invalid origin %v: %v", o, err)
		}
		back, err := protocol.ParseOrigin(o.String())
		if err != nil || !back.Equal(o) {
			t.Fatalf("%q → %v → %q → %v, %v", s, o, o.String(), back, err)
		}
	})
}
