package keeper_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// maxLenEndpoint is a valid endpoint of exactly protocol.MaxEndpointLen bytes.
var maxLenEndpoint = "https://example.com/" + strings.Repeat("a", protocol.MaxEndpointLen-len("https://example.com/"))

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // "" means rejected
	}{
		{name: "http host", in: "http://example.com", want: "http://example.com"},
		{name: "https host port path", in: "https://example.com:8443/rpc", want: "https://example.com:8443/rpc"},
		{name: "ipv4 and port", in: "http://10.0.0.1:26657", want: "http://10.0.0.1:26657"},
		{name: "ipv6 and port", in: "http://[::1]:8080/", want: "http://[::1]:8080/"},
		{name: "query", in: "https://example.com/a?b=c", want: "https://example.com/a?b=c"},
		{name: "space in path is escaped", in: "http://example.com/a b", want: "http://example.com/a%20b"},
		{name: "non-ASCII host is escaped", in: "http://\u00fc.example/", want: "http://%C3%BC.example/"},
		{name: "empty fragment dropped", in: "http://example.com#", want: "http://example.com"},
		{name: "upper-case scheme is normalized", in: "HTTPS://example.com", want: "https://example.com"},
		{name: "longest", in: maxLenEndpoint, want: maxLenEndpoint},
		{name: "empty", in: ""},
		{name: "too long", in: maxLenEndpoint + "a"},
		{name: "too long once escaped", in: "http://example.com/" + strings.Repeat(" ", 100)},
		{name: "invalid UTF-8", in: "http://example.com/\xff"},
		{name: "ftp", in: "ftp://example.com"},
		{name: "websocket", in: "ws://example.com"},
		{name: "file", in: "file:///etc/passwd"},
		{name: "javascript", in: "javascript:alert(1)"},
		{name: "no scheme", in: "example.com:80"},
		{name: "relative", in: "/rpc"},
		{name: "scheme only", in: "https://"},
		{name: "no host", in: "http:///rpc"},
		{name: "opaque", in: "http:example.com"},
		{name: "port without host", in: "http://:80/"},
		{name: "empty ipv6 brackets", in: "http://[]:80/"},
		{name: "user", in: "http://user@example.com"},
		{name: "user and password", in: "https://user:pw@example.com"},
		{name: "empty user info", in: "https://@example.com"},
		{name: "space in host", in: "http://exa mple.com"},
		{name: "newline", in: "http://example.com/\n"},
		{name: "NUL", in: "http://example.com/\x00"},
		{name: "bad port", in: "http://example.com:port"},
		{name: "bad escape", in: "http://example.com/%zz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := keeper.ParseEndpoint([]byte(tc.in))
			if tc.want == "" {
				if !errors.Is(err, types.ErrInvalidEndpoint) {
					t.Fatalf("ParseEndpoint(%q) = %q, %v; want %v", tc.in, got, err, types.ErrInvalidEndpoint)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseEndpoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// FuzzParseEndpoint checks that ParseEndpoint (whose input is an untrusted
// egress payload) never panics, that what it accepts fits the protocol's
// bounds, and that its output is a fixed point: a stored endpoint parses to
// itself.
func FuzzParseEndpoint(f *testing.F) {
	// The seed corpus is testdata/fuzz/FuzzParseEndpoint.
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := keeper.ParseEndpoint(in)
		if err != nil {
			if !errors.Is(err, types.ErrInvalidEndpoint) {
				t.Fatalf("ParseEndpoint(%q): error %v does not wrap ErrInvalidEndpoint", in, err)
			}
			return
		}
		if len(out) == 0 || len(out) > protocol.MaxEndpointLen || !utf8.ValidString(out) {
			t.Fatalf("ParseEndpoint(%q) = %q: outside the endpoint bounds", in, out)
		}
		u, err := url.Parse(out)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			t.Fatalf("ParseEndpoint(%q) = %q: not an http(s) URL with a host and no credentials", in, out)
		}
		again, err := keeper.ParseEndpoint([]byte(out))
		if err != nil || again != out {
			t.Fatalf("ParseEndpoint(%q) = %q, which parses to %q, %v", in, out, again, err)
		}
	})
}

func TestHandleEndpoint(t *testing.T) {
	t.Parallel()
	const worker = 1
	tests := []struct {
		name    string
		origin  protocol.Origin
		payload string
		want    error
	}{
		{name: "registered worker", origin: protocol.WorkerOrigin(pub(testKey(worker))), payload: "https://w.example.com/rpc"},
		{name: "unregistered worker", origin: protocol.WorkerOrigin(pub(testKey(2))), payload: "https://w.example.com/rpc", want: types.ErrWorkerNotFound},
		{name: "gatekeeper origin", origin: protocol.GatekeeperOrigin(), payload: "https://w.example.com/rpc", want: types.ErrInvalidEndpoint},
		{name: "module origin", origin: protocol.ModuleOrigin("registry"), payload: "https://w.example.com/rpc", want: types.ErrInvalidEndpoint},
		{name: "bad scheme", origin: protocol.WorkerOrigin(pub(testKey(worker))), payload: "ftp://w.example.com", want: types.ErrInvalidEndpoint},
		{name: "credentials", origin: protocol.WorkerOrigin(pub(testKey(worker))), payload: "https://a:b@w.example.com", want: types.ErrInvalidEndpoint},
		{name: "empty", origin: protocol.WorkerOrigin(pub(testKey(worker))), want: types.ErrInvalidEndpoint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.registerSim(t, worker)
			before := f.snapshot(t)
			err := f.k.HandleEndpoint(f.ctx, protocol.Message{Origin: tc.origin, Topic: protocol.TopicWorkerEndpoint, Payload: []byte(tc.payload)})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			w, err := f.k.GetWorker(f.ctx, tc.origin.ID)
			if err != nil || w.Endpoint != tc.payload {
				t.Fatalf("endpoint = %q, %v; want %q", w.Endpoint, err, tc.payload)
			}
			attrs := map[string]string{types.AttributeIdentityKey: keyHex(worker), types.AttributeEndpoint: tc.payload}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventEndpointUpdated, attrs) {
				t.Errorf("no %s event with %v", types.EventEndpointUpdated, attrs)
			}
		})
	}
}

// TestEndpointThroughQueue sends endpoint announcements as signed egress: a
// bad URL is consumed (the worker's seq advances) but changes nothing.
func TestEndpointThroughQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.registerSim(t, 1)
	send := func(seq uint64, url string) *mqtypes.MsgSyncMessagesResponse {
		t.Helper()
		m := protocol.Message{Origin: protocol.WorkerOrigin(pub(testKey(1))), Topic: protocol.TopicWorkerEndpoint, Seq: seq, Payload: []byte(url)}
		sm, err := protocol.SignMessage(testChainID, testKey(1), &m)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.mqMsgs.SyncMessages(f.ctx, &mqtypes.MsgSyncMessages{
			Submitter: f.operator,
			Messages:  []mqtypes.SignedMessage{{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}},
		})
		if err != nil {
			t.Fatalf("SyncMessages: %v", err)
		}
		return resp
	}
	endpoint := func() string {
		w, err := f.k.GetWorker(f.ctx, pub(testKey(1)))
		if err != nil {
			t.Fatal(err)
		}
		return w.Endpoint
	}

	send(0, "https://one.example.com")
	if got := endpoint(); got != "https://one.example.com" {
		t.Fatalf("endpoint = %q", got)
	}
	if resp := send(1, "gopher://two.example.com"); resp.Accepted != 1 {
		t.Errorf("bad endpoint not consumed: %+v", resp)
	}
	if got := endpoint(); got != "https://one.example.com" {
		t.Errorf("bad endpoint changed the stored one to %q", got)
	}
	if !hasEvent(f.ctx.EventManager().Events(), mqtypes.EventMessageRejected, map[string]string{mqtypes.AttributeTopic: protocol.TopicWorkerEndpoint, mqtypes.AttributeSeq: "1"}) {
		t.Error("no rejection event for the bad endpoint")
	}
	send(2, "https://three.example.com")
	if got := endpoint(); got != "https://three.example.com" {
		t.Errorf("endpoint = %q after a later announcement", got)
	}
}
