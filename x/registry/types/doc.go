// Package types holds x/registry's messages, params, errors and store layout.
package types
