package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/strictjson"
)

// maxResponseBody bounds what the client reads from a pRuntime.
const maxResponseBody = 64 << 20

// lenient decodes answers strictly (exact field names, no duplicate keys,
// valid UTF-8) but skips fields this client does not know, so that a relayer
// keeps working with a newer pRuntime that reports more.
var lenient = strictjson.Options{AllowUnknownFields: true}

// Client talks to one pRuntime.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client for a pRuntime at base (http://host:port).
func NewClient(base string) *Client {
	return &Client{base: base, http: &http.Client{Timeout: 60 * time.Second}}
}

// Info calls GET /get_info.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var v Info
	return v, c.do(ctx, http.MethodGet, PathInfo, nil, &v)
}

// SyncInit calls POST /sync/init with the trust root's header.
func (c *Client) SyncInit(ctx context.Context, u HeaderUpdate) (Info, error) {
	var v Info
	return v, c.do(ctx, http.MethodPost, PathSyncInit, u, &v)
}

// SyncHeader calls POST /sync/header.
func (c *Client) SyncHeader(ctx context.Context, u HeaderUpdate) (Info, error) {
	var v Info
	return v, c.do(ctx, http.MethodPost, PathSyncHeader, u, &v)
}

// SyncIngress calls POST /sync/ingress.
func (c *Client) SyncIngress(ctx context.Context, req IngressRequest) (IngressResponse, error) {
	var v IngressResponse
	return v, c.do(ctx, http.MethodPost, PathSyncIngress, req, &v)
}

// SyncEgressAck calls POST /sync/egress_ack.
func (c *Client) SyncEgressAck(ctx context.Context, req EgressAckRequest) (Info, error) {
	var v Info
	return v, c.do(ctx, http.MethodPost, PathSyncEgressAck, req, &v)
}

// SyncBootstrap calls POST /sync/bootstrap.
func (c *Client) SyncBootstrap(ctx context.Context, req BootstrapRequest) (Info, error) {
	var v Info
	return v, c.do(ctx, http.MethodPost, PathSyncBootstrap, req, &v)
}

// Egress calls GET /egress.
func (c *Client) Egress(ctx context.Context) (EgressResponse, error) {
	var v EgressResponse
	return v, c.do(ctx, http.MethodGet, PathEgress, nil, &v)
}

// Registration calls GET /registration.
func (c *Client) Registration(ctx context.Context) (Registration, error) {
	var v Registration
	return v, c.do(ctx, http.MethodGet, PathRegistration, nil, &v)
}

// StatusError is a non-2xx answer from the pRuntime.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("pruntime: HTTP %d: %s", e.Code, e.Message)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e Error
		if lenient.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = string(b)
		}
		return &StatusError{Code: resp.StatusCode, Message: e.Error}
	}
	// The answer is as untrusted as any input: the relayer acts on it.
	if err := lenient.Unmarshal(b, out); err != nil {
		return fmt.Errorf("pruntime: %s %s: answer: %w", method, path, err)
	}
	return nil
}
