// Package types holds x/mq's messages, params, errors and store layout.
package types
