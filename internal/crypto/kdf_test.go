package crypto_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	gkcrypto "github.com/gatekeeper-net/gatekeeper/internal/crypto"
)

func TestDeriveErrors(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name   string
		secret []byte
		path   [][]byte
		want   error
	}{
		{"nil secret", nil, [][]byte{[]byte("a")}, gkcrypto.ErrInvalidSecret},
		{"31-byte secret", secret[:31], [][]byte{[]byte("a")}, gkcrypto.ErrInvalidSecret},
		{"no parts", secret, nil, gkcrypto.ErrInvalidPath},
		{"part too large", secret, [][]byte{[]byte("a"), make([]byte, gkcrypto.MaxPathPartLen+1)}, gkcrypto.ErrInvalidPath},
		{"max part", secret, [][]byte{make([]byte, gkcrypto.MaxPathPartLen)}, nil},
		{"one empty part", secret, [][]byte{{}}, nil},
		{"64-byte secret", bytes.Repeat([]byte{7}, 64), [][]byte{[]byte("a")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := gkcrypto.Derive(tt.secret, tt.path...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil && k != ([32]byte{}) {
				t.Fatal("non-zero key returned with an error")
			}
		})
	}
}

// Length prefixes keep paths whose concatenations coincide apart.
func TestDerivePathsUnambiguous(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{7}, 32)
	paths := map[string][][]byte{
		`("ab","c")`:    {[]byte("ab"), []byte("c")},
		`("a","bc")`:    {[]byte("a"), []byte("bc")},
		`("abc")`:       {[]byte("abc")},
		`("abc","")`:    {[]byte("abc"), {}},
		`("","abc")`:    {{}, []byte("abc")},
		`("a","b","c")`: {[]byte("a"), []byte("b"), []byte("c")},
		// A part that looks like a length prefix followed by the next part.
		`("a\x00\x01b")`: {[]byte("a\x00\x01b")},
		`("a","b")`:      {[]byte("a"), []byte("b")},
	}
	seen := map[[32]byte]string{}
	for name, p := range paths {
		k, err := gkcrypto.Derive(secret, p...)
		if err != nil {
			t.Fatal(err)
		}
		if other, ok := seen[k]; ok {
			t.Fatalf("%s and %s derive the same key", name, other)
		}
		seen[k] = name
	}
}

func TestAppKey(t *testing.T) {
	t.Parallel()
	cluster := testMaster(t, 3).ClusterKey(7)
	base, err := gkcrypto.AppKey(cluster, "app-1", "state")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cluster [32]byte
		appID   string
		path    []string
		want    error
		same    bool // derives base
	}{
		{name: "same inputs", cluster: cluster, appID: "app-1", path: []string{"state"}, same: true},
		{name: "other app", cluster: cluster, appID: "app-2", path: []string{"state"}},
		{name: "app id absorbs path", cluster: cluster, appID: "app-1state"},
		{name: "path split differently", cluster: cluster, appID: "app-", path: []string{"1", "state"}},
		{name: "no path", cluster: cluster, appID: "app-1"},
		{name: "extra empty part", cluster: cluster, appID: "app-1", path: []string{"state", ""}},
		{name: "other cluster", cluster: testMaster(t, 3).ClusterKey(8), appID: "app-1", path: []string{"state"}},
		{name: "other master version", cluster: testMaster(t, 4).ClusterKey(7), appID: "app-1", path: []string{"state"}},
		{name: "empty app id", cluster: cluster, appID: "", path: []string{"state"}, want: gkcrypto.ErrInvalidPath},
		{name: "oversized app id", cluster: cluster, appID: strings.Repeat("a", gkcrypto.MaxPathPartLen+1), want: gkcrypto.ErrInvalidPath},
		{name: "oversized path part", cluster: cluster, appID: "app-1", path: []string{strings.Repeat("a", gkcrypto.MaxPathPartLen+1)}, want: gkcrypto.ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := gkcrypto.AppKey(tt.cluster, tt.appID, tt.path...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if (k == base) != tt.same {
				t.Fatalf("key == base is %v, want %v", k == base, tt.same)
			}
		})
	}
}

// A cluster key is the app-level KDF's input, never one of its outputs: a
// worker choosing app id "cluster" cannot land on another cluster's key.
func TestLevelsSeparated(t *testing.T) {
	t.Parallel()
	m := testMaster(t, 3)
	ck := m.ClusterKey(7)
	viaApp, err := gkcrypto.Derive(m.Secret(), []byte("app"), []byte("cluster"))
	if err != nil {
		t.Fatal(err)
	}
	if viaApp == ck {
		t.Fatal("levels collide")
	}
	ck2 := m.ClusterKey(7)
	if ck != ck2 {
		t.Fatal("ClusterKey is not deterministic")
	}
}
