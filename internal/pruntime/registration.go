package pruntime

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/api"
)

// registrationQuoteTTL is how long GET /registration serves one quote. The
// route is unauthenticated on the public RPC and a TEE quote is the most
// expensive thing a pRuntime makes (a call into the platform's quoting
// service); cached, a flood of calls costs one quote per TTL. The TTL stays
// well under the chain's attestation max age (registry param, default one
// hour) so that a cached quote is still fresh enough to register with, and a
// chain with a shorter max age gets a fresh quote after at most this long.
const registrationQuoteTTL = time.Minute

// registrationCache holds the last attestation made over the registration
// info. A quote is valid for exactly the report data it was made over, so
// the entry is keyed by the encoded info and made again when it changes.
// Failures are not cached.
type registrationCache struct {
	mu    sync.Mutex // held while quoting: concurrent callers wait for one quote
	info  []byte
	reg   api.Registration
	made  time.Time
	now   func() time.Time // nil: time.Now; tests set it
	valid bool
}

// get returns the cached registration for info, or makes one with quote.
func (c *registrationCache) get(info []byte, quote func() (api.Registration, error)) (api.Registration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	t := now()
	if c.valid && bytes.Equal(c.info, info) && t.Sub(c.made) < registrationQuoteTTL && !t.Before(c.made) {
		return cloneRegistration(c.reg), nil
	}
	reg, err := quote()
	if err != nil {
		return api.Registration{}, err
	}
	c.info, c.reg, c.made, c.valid = bytes.Clone(info), cloneRegistration(reg), t, true
	return reg, nil
}

// cloneRegistration keeps the cached entry apart from what callers hold.
func cloneRegistration(r api.Registration) api.Registration {
	return api.Registration{Info: bytes.Clone(r.Info), TEEKind: r.TEEKind, Quote: bytes.Clone(r.Quote)}
}

// Registration returns an attestation over the registration info, made at
// most registrationQuoteTTL ago over exactly this info.
func (r *Runtime) Registration() (api.Registration, error) {
	info := r.id.RegistrationInfo(Version)
	info.Predecessor = r.cfg.Predecessor
	enc, err := info.Encode()
	if err != nil {
		return api.Registration{}, err
	}
	return r.reg.get(enc, func() (api.Registration, error) {
		quote, err := r.tee.Quote(protocol.ReportData(r.id.ChainID, enc))
		if err != nil {
			return api.Registration{}, fmt.Errorf("pruntime: quote: %w", err)
		}
		return api.Registration{Info: enc, TEEKind: r.tee.Kind(), Quote: quote}, nil
	})
}
