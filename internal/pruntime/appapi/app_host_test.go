package appapi

import (
	"net"
	"strings"
	"testing"
)

// FuzzCheckLoopbackHost: a Host is accepted only if a second parser
// (net.ParseIP, not the netip used by the check) also reads it as localhost
// or a loopback address, and the port, if any, is digits.
func FuzzCheckLoopbackHost(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1:8103", "localhost", "LOCALHOST:1", "[::1]:8103", "[::1]", "127.255.255.255",
		"evil.example", "localhost.", "0.0.0.0:80", "[::ffff:127.0.0.1]:80", "[::1%25lo]:80",
		"127.0.0.1:80:80", "::1", "[127.0.0.1]:80", "127.1", "", ":80", "[]:80", "localhost:abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if checkLoopbackHost(host) != nil {
			return
		}
		name, port := host, ""
		if h, p, err := net.SplitHostPort(host); err == nil {
			name, port = h, p
		} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			name = host[1 : len(host)-1]
		}
		if ip := net.ParseIP(name); !strings.EqualFold(name, "localhost") && (ip == nil || !ip.IsLoopback()) {
			t.Fatalf("accepted Host %q: %q is not a loopback name", host, name)
		}
		if strings.Trim(port, "0123456789") != "" {
			t.Fatalf("accepted Host %q with a non-numeric port", host)
		}
	})
}
