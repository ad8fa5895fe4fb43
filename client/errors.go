package millwright

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Domain is the ErrorInfo domain of Millwright's errors.
const Domain = "millwright.dev"

// Stable error reasons a client commonly branches on. The full list is in
// the API reference; Reason(err) returns any of them.
const (
	ReasonInvalidArgument            = "INVALID_ARGUMENT"
	ReasonInvalidToken               = "INVALID_TOKEN"
	ReasonNotFound                   = "NOT_FOUND"
	ReasonRateLimited                = "RATE_LIMITED"
	ReasonOperationNotSupported      = "OPERATION_NOT_SUPPORTED"
	ReasonConnectionDisconnected     = "CONNECTION_DISCONNECTED"
	ReasonConnectedSystemUnavailable = "CONNECTED_SYSTEM_UNAVAILABLE"
	ReasonConnectedSystemError       = "CONNECTED_SYSTEM_ERROR"
	ReasonConnectedSystemRateLimited = "CONNECTED_SYSTEM_RATE_LIMITED"
	ReasonConnectedSystemAuthFailed  = "CONNECTED_SYSTEM_AUTH_FAILED"
	ReasonConnectedSystemRejected    = "CONNECTED_SYSTEM_REJECTED"
)

// Error is every error the SDK returns (possibly wrapped): the API's
// google.rpc.Status with its ErrorInfo and RetryInfo read out. Use
// errors.As, or the helpers IsNotFound, IsRateLimited, Reason, RequestID.
type Error struct {
	Code       codes.Code
	Reason     string            // stable UPPER_SNAKE reason, e.g. CONNECTED_SYSTEM_UNAVAILABLE
	Domain     string            // "millwright.dev" for errors from the API
	Message    string            // human-readable; do not branch on it
	Metadata   map[string]string // connection, system, request_id ...
	RequestID  string            // quote it to support
	RetryAfter time.Duration     // the server's RetryInfo delay, 0 if none
	Attempts   int               // calls made, retries included

	st *status.Status
}

func (e *Error) Error() string {
	s := fmt.Sprintf("millwright: %s (%s): %s", e.Reason, e.Code, e.Message)
	if e.RequestID != "" {
		s += " [request_id " + e.RequestID + "]"
	}
	return s
}

// GRPCStatus keeps status.FromError and status.Code working on SDK errors.
func (e *Error) GRPCStatus() *status.Status {
	if e.st != nil {
		return e.st
	}
	return status.New(e.Code, e.Message)
}

// toError turns what a call returned into an *Error. header is the
// response header metadata (for x-request-id), if any.
func toError(err error, header metadata.MD) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var st *status.Status
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		st = status.New(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		st = status.New(codes.Canceled, err.Error())
	default:
		st = status.Convert(err)
	}
	e = &Error{Code: st.Code(), Message: st.Message(), st: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if e.Reason == "" {
				e.Reason, e.Domain, e.Metadata = d.GetReason(), d.GetDomain(), d.GetMetadata()
			}
		case *errdetails.RetryInfo:
			e.RetryAfter = d.GetRetryDelay().AsDuration()
		}
	}
	if e.Reason == "" {
		e.Reason = defaultReason(e.Code)
	}
	e.RequestID = e.Metadata["request_id"]
	if e.RequestID == "" {
		if v := header.Get("x-request-id"); len(v) > 0 {
			e.RequestID = v[0]
		}
	}
	return e
}

// defaultReason names a status that came without ErrorInfo (from a proxy,
// the transport or the client itself), the way the API would.
func defaultReason(c codes.Code) string {
	switch c {
	case codes.InvalidArgument, codes.OutOfRange:
		return ReasonInvalidArgument
	case codes.Unauthenticated:
		return ReasonInvalidToken
	case codes.NotFound:
		return ReasonNotFound
	case codes.ResourceExhausted:
		return ReasonRateLimited
	case codes.PermissionDenied:
		return "PERMISSION_DENIED"
	case codes.AlreadyExists:
		return "ALREADY_EXISTS"
	case codes.FailedPrecondition:
		return "FAILED_PRECONDITION"
	case codes.Aborted:
		return "CONFLICT"
	case codes.Unimplemented:
		return "UNIMPLEMENTED"
	case codes.Unavailable:
		return "UNAVAILABLE"
	case codes.DeadlineExceeded:
		return "DEADLINE_EXCEEDED"
	case codes.Canceled:
		return "CANCELLED"
	default:
		return "INTERNAL"
	}
}

// IsConnectedSystemUnavailable reports whether err says the connected
// system (SAP, Maximo ...) does not answer: not a fault of the request.
func IsConnectedSystemUnavailable(err error) bool {
	return Reason(err) == ReasonConnectedSystemUnavailable
}

// IsRateLimited reports whether err is a rate limit, Millwright's own or
// the connected system's; Error.RetryAfter says how long to wait.
func IsRateLimited(err error) bool {
	r := Reason(err)
	return r == ReasonRateLimited || r == ReasonConnectedSystemRateLimited
}

// IsNotFound reports whether err is NOT_FOUND.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == codes.NotFound
}

// Reason is the error's stable reason, "" if err is not an SDK error.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// RequestID is the request id of the failed call, "" if unknown.
func RequestID(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.RequestID
	}
	return ""
}
