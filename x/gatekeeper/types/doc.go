// Package types holds x/gatekeeper's messages, params, errors, events and
// store layout, and the narrow interfaces it expects of x/registry, x/mq
// and x/upgrade (expected_keepers.go).
package types
