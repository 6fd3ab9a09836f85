package s3

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment variables ParseURL takes the credentials from.
const (
	EnvAccessKey = "GK_S3_ACCESS_KEY"
	EnvSecretKey = "GK_S3_SECRET_KEY"
)

// MaxURLLen bounds the text ParseURL reads.
const MaxURLLen = 2048

// ParseURL parses a store location of the form
//
//	s3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&secure=true|false][&region=R][&timeout=30s]
//
// and takes the credentials from getenv(EnvAccessKey) and
// getenv(EnvSecretKey): never from the URL, which is logged and shown in
// process lists (a URL with a user or password is refused). secure
// defaults to true (HTTPS).
func ParseURL(raw string, getenv func(string) string) (Config, error) {
	var c Config
	if len(raw) > MaxURLLen {
		return c, fmt.Errorf("statestore/s3: store URL is %d bytes, limit %d", len(raw), MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return c, fmt.Errorf("statestore/s3: store URL: %w", err)
	}
	switch {
	case u.Scheme != "s3":
		return c, fmt.Errorf("statestore/s3: store URL scheme %q, want s3://BUCKET[/PREFIX]?endpoint=HOST:PORT", u.Scheme)
	case u.User != nil:
		return c, fmt.Errorf("statestore/s3: store URL holds credentials; give them in %s and %s instead", EnvAccessKey, EnvSecretKey)
	case u.Opaque != "" || u.Fragment != "" || u.RawPath != "":
		return c, fmt.Errorf("statestore/s3: store URL: want s3://BUCKET[/PREFIX]?endpoint=HOST:PORT, no fragment or escapes")
	}
	c.Bucket = u.Host
	c.Prefix = strings.TrimPrefix(u.Path, "/")
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, fmt.Errorf("statestore/s3: store URL query: %w", err)
	}
	c.Secure = true
	for k, vs := range q {
		if len(vs) != 1 {
			return c, fmt.Errorf("statestore/s3: store URL: %s given %d times", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "endpoint":
			c.Endpoint = v
		case "region":
			c.Region = v
		case "secure":
			if c.Secure, err = strconv.ParseBool(v); err != nil {
				return c, fmt.Errorf("statestore/s3: store URL: secure=%q, want true or false", v)
			}
		case "timeout":
			if c.Timeout, err = time.ParseDuration(v); err != nil || c.Timeout <= 0 || c.Timeout > time.Hour {
				return c, fmt.Errorf("statestore/s3: store URL: timeout=%q, want a duration in (0, 1h]", v)
			}
		default:
			return c, fmt.Errorf("statestore/s3: store URL: unknown parameter %q (want endpoint, secure, region, timeout)", k)
		}
	}
	c.AccessKey, c.SecretKey = getenv(EnvAccessKey), getenv(EnvSecretKey)
	if c.AccessKey == "" || c.SecretKey == "" {
		return c, fmt.Errorf("statestore/s3: set %s and %s to the store's credentials", EnvAccessKey, EnvSecretKey)
	}
	if err := c.check(); err != nil {
		return c, err
	}
	return c, nil
}
