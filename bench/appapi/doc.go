// Package appapi holds the benchmark of the worker's local app API
// (internal/appapi.API, DESIGN §6.4): app-key derivations per second on
// one core against raw HKDF-SHA256 of the same size, and the p50/p99 latency
// of POST /app/v1/key and of PUT+GET of a 4 KiB state blob under 8
// concurrent clients over real HTTP, against a trivial 204 handler on the
// same server, all measured in the same run. The benchmark lives in the
// package's tests; see bench/README.md for the commands and figures.
package appapi
