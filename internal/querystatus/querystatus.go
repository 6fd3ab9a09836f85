// Package querystatus gives an error of a module's gRPC query server the
// gRPC code that says whose fault it is, so that grpc-gateway answers REST
// with the matching HTTP status (NotFound 404, InvalidArgument 400) instead
// of 500. The error still wraps the module's registered error, so errors.Is
// keeps working, and its message is that error's.
package querystatus

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is err answered with gRPC code Code.
type Error struct {
	Code codes.Code
	Err  error
}

func (e Error) Error() string { return e.Err.Error() }

// Unwrap returns the module's error.
func (e Error) Unwrap() error { return e.Err }

// GRPCStatus is the status the gRPC server and the SDK's query path answer.
func (e Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Err.Error()) }

// NotFound marks err as a missing record (gRPC NotFound, HTTP 404).
func NotFound(err error) error { return Error{Code: codes.NotFound, Err: err} }

// InvalidArgument marks err as a malformed request (gRPC InvalidArgument,
// HTTP 400).
func InvalidArgument(err error) error { return Error{Code: codes.InvalidArgument, Err: err} }
