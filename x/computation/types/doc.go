// Package types holds x/computation's state types, messages, params, store
// layout, errors and events, and the interfaces it needs from other modules.
package types
