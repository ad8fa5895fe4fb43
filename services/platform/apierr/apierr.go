// Package apierr builds Millwright's API errors: a google.rpc.Status whose
// details always hold an ErrorInfo with domain millwright.dev, a stable
// UPPER_SNAKE reason and metadata, and maps each reason to its HTTP status.
package apierr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Domain is the ErrorInfo domain of every Millwright error.
const Domain = "millwright.dev"

// Reason is a stable, UPPER_SNAKE error reason. Clients branch on it.
type Reason string

// The reasons. Each has one gRPC code and one HTTP status in the table below.
const (
	InvalidArgument            Reason = "INVALID_ARGUMENT"
	InvalidToken               Reason = "INVALID_TOKEN"
	PermissionDenied           Reason = "PERMISSION_DENIED"
	NotFound                   Reason = "NOT_FOUND"
	AlreadyExists              Reason = "ALREADY_EXISTS"
	FailedPrecondition         Reason = "FAILED_PRECONDITION"
	RequestIDReused            Reason = "REQUEST_ID_REUSED"
	RateLimited                Reason = "RATE_LIMITED"
	InsufficientCredits        Reason = "INSUFFICIENT_CREDITS"
	ConnectionDisconnected     Reason = "CONNECTION_DISCONNECTED"
	ConnectionNotDisconnected  Reason = "CONNECTION_NOT_DISCONNECTED"
	LinkSessionExpired         Reason = "LINK_SESSION_EXPIRED"
	LinkSessionUsed            Reason = "LINK_SESSION_USED"
	OperationNotSupported      Reason = "OPERATION_NOT_SUPPORTED"
	ConnectedSystemUnavailable Reason = "CONNECTED_SYSTEM_UNAVAILABLE"
	ConnectedSystemError       Reason = "CONNECTED_SYSTEM_ERROR"
	ConnectedSystemRateLimited Reason = "CONNECTED_SYSTEM_RATE_LIMITED"
	ConnectedSystemAuthFailed  Reason = "CONNECTED_SYSTEM_AUTH_FAILED"
	ConnectedSystemRejected    Reason = "CONNECTED_SYSTEM_REJECTED"
	Conflict                   Reason = "CONFLICT"
	Unimplemented              Reason = "UNIMPLEMENTED"
	Unavailable                Reason = "UNAVAILABLE"
	DeadlineExceeded           Reason = "DEADLINE_EXCEEDED"
	Cancelled                  Reason = "CANCELLED"
	Internal                   Reason = "INTERNAL"

	// Reasons of requests the gateway cannot decode.
	MalformedJSON    Reason = "MALFORMED_JSON"
	UnknownField     Reason = "UNKNOWN_FIELD"
	InvalidValue     Reason = "INVALID_FIELD_VALUE"
	RequestTooLarge  Reason = "REQUEST_TOO_LARGE"
	MethodNotAllowed Reason = "METHOD_NOT_ALLOWED"
	RouteNotFound    Reason = "ROUTE_NOT_FOUND"
)

type mapping struct {
	code codes.Code
	http int
}

// table is the one place where a reason gets its codes.
var table = map[Reason]mapping{
	InvalidArgument:            {codes.InvalidArgument, http.StatusBadRequest},
	InvalidToken:               {codes.Unauthenticated, http.StatusUnauthorized},
	PermissionDenied:           {codes.PermissionDenied, http.StatusForbidden},
	NotFound:                   {codes.NotFound, http.StatusNotFound},
	AlreadyExists:              {codes.AlreadyExists, http.StatusConflict},
	FailedPrecondition:         {codes.FailedPrecondition, http.StatusBadRequest},
	RequestIDReused:            {codes.FailedPrecondition, http.StatusConflict},
	RateLimited:                {codes.ResourceExhausted, http.StatusTooManyRequests},
	InsufficientCredits:        {codes.FailedPrecondition, http.StatusPaymentRequired},
	ConnectionDisconnected:     {codes.FailedPrecondition, http.StatusConflict},
	ConnectionNotDisconnected:  {codes.FailedPrecondition, http.StatusConflict},
	LinkSessionExpired:         {codes.FailedPrecondition, http.StatusGone},
	LinkSessionUsed:            {codes.FailedPrecondition, http.StatusGone},
	OperationNotSupported:      {codes.FailedPrecondition, http.StatusBadRequest},
	ConnectedSystemUnavailable: {codes.Unavailable, http.StatusServiceUnavailable},
	ConnectedSystemError:       {codes.Unavailable, http.StatusBadGateway},
	ConnectedSystemRateLimited: {codes.ResourceExhausted, http.StatusTooManyRequests},
	ConnectedSystemAuthFailed:  {codes.FailedPrecondition, http.StatusFailedDependency},
	ConnectedSystemRejected:    {codes.InvalidArgument, http.StatusUnprocessableEntity},
	Conflict:                   {codes.Aborted, http.StatusConflict},
	Unimplemented:              {codes.Unimplemented, http.StatusNotImplemented},
	Unavailable:                {codes.Unavailable, http.StatusServiceUnavailable},
	DeadlineExceeded:           {codes.DeadlineExceeded, http.StatusGatewayTimeout},
	Cancelled:                  {codes.Canceled, 499},
	Internal:                   {codes.Internal, http.StatusInternalServerError},
	MalformedJSON:              {codes.InvalidArgument, http.StatusBadRequest},
	UnknownField:               {codes.InvalidArgument, http.StatusBadRequest},
	InvalidValue:               {codes.InvalidArgument, http.StatusBadRequest},
	RequestTooLarge:            {codes.InvalidArgument, http.StatusBadRequest},
	MethodNotAllowed:           {codes.Unimplemented, http.StatusMethodNotAllowed},
	RouteNotFound:              {codes.NotFound, http.StatusNotFound},
}

// Reasons lists every reason, for documentation and tests.
func Reasons() []Reason {
	out := make([]Reason, 0, len(table))
	for r := range table {
		out = append(out, r)
	}
	return out
}

// Code is the gRPC code of a reason; codes.Unknown for an unknown reason.
func (r Reason) Code() codes.Code {
	if m, ok := table[r]; ok {
		return m.code
	}
	return codes.Unknown
}

// HTTPStatus is the HTTP status of a reason; 500 for an unknown reason.
func (r Reason) HTTPStatus() int {
	if m, ok := table[r]; ok {
		return m.http
	}
	return http.StatusInternalServerError
}

// Error is a Millwright API error. It converts to a gRPC status with
// ErrorInfo and, where set, RetryInfo and BadRequest details.
type Error struct {
	Reason     Reason
	Message    string
	Metadata   map[string]string
	RetryAfter time.Duration
	Fields     []FieldViolation
	cause      error
}

// FieldViolation names one bad field of a request.
type FieldViolation struct {
	Field       string
	Description string
}

// New returns an error with a reason and a message.
func New(reason Reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with a reason whose message is cause's, keeping cause
// for errors.Is and errors.As.
func Wrap(reason Reason, cause error) *Error {
	return &Error{Reason: reason, Message: cause.Error(), cause: cause}
}

// InvalidFields returns an INVALID_ARGUMENT error naming each bad field.
func InvalidFields(fields ...FieldViolation) *Error {
	msg := "invalid request"
	if len(fields) > 0 {
		msg = fields[0].Field + ": " + fields[0].Description
		if len(fields) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(fields)-1)
		}
	}
	return &Error{Reason: InvalidArgument, Message: msg, Fields: fields}
}

// With adds metadata and returns the error.
func (e *Error) With(key, value string) *Error {
	if e.Metadata == nil {
		e.Metadata = map[string]string{}
	}
	e.Metadata[key] = value
	return e
}

// WithRetryAfter sets when a client may try again and returns the error.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	e.RetryAfter = d
	return e
}

func (e *Error) Error() string { return string(e.Reason) + ": " + e.Message }

func (e *Error) Unwrap() error { return e.cause }

// GRPCStatus makes the error a gRPC status, with its details.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Reason.Code(), e.Message)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: string(e.Reason), Domain: Domain, Metadata: e.Metadata}}
	if e.RetryAfter > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryAfter)})
	}
	if len(e.Fields) > 0 {
		br := &errdetails.BadRequest{}
		for _, f := range e.Fields {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: f.Field, Description: f.Description, Reason: string(e.Reason)})
		}
		details = append(details, br)
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st
	}
	return withDetails
}

// FromStatus returns the reason and ErrorInfo metadata of a gRPC status. A
// status without ErrorInfo gets the reason that matches its code.
func FromStatus(st *status.Status) (Reason, map[string]string) {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == Domain {
			return Reason(info.GetReason()), info.GetMetadata()
		}
	}
	return ReasonOf(st.Code()), nil
}

// ReasonOf is the default reason of a gRPC code.
func ReasonOf(c codes.Code) Reason {
	switch c {
	case codes.InvalidArgument, codes.OutOfRange:
		return InvalidArgument
	case codes.Unauthenticated:
		return InvalidToken
	case codes.PermissionDenied:
		return PermissionDenied
	case codes.NotFound:
		return NotFound
	case codes.AlreadyExists:
		return AlreadyExists
	case codes.FailedPrecondition:
		return FailedPrecondition
	case codes.Aborted:
		return Conflict
	case codes.ResourceExhausted:
		return RateLimited
	case codes.Unimplemented:
		return Unimplemented
	case codes.Unavailable:
		return Unavailable
	case codes.DeadlineExceeded:
		return DeadlineExceeded
	case codes.Canceled:
		return Cancelled
	default:
		return Internal
	}
}

// ToStatus turns any error into a gRPC status with an ErrorInfo: an *Error as
// it is, a status error as it is (adding an ErrorInfo if it has none), a
// context error as DEADLINE_EXCEEDED or CANCELLED, anything else as INTERNAL
// with a message that reveals nothing.
func ToStatus(err error) *status.Status {
	var e *Error
	if errors.As(err, &e) {
		return e.GRPCStatus()
	}
	if st, ok := status.FromError(err); ok {
		if hasErrorInfo(st) {
			return st
		}
		return (&Error{Reason: ReasonOf(st.Code()), Message: st.Message()}).GRPCStatus()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return New(DeadlineExceeded, "deadline exceeded").GRPCStatus()
	case errors.Is(err, context.Canceled):
		return New(Cancelled, "request cancelled").GRPCStatus()
	}
	return New(Internal, "internal error").GRPCStatus()
}

// WithMetadata returns st with key=value added to its ErrorInfo metadata.
func WithMetadata(st *status.Status, key, value string) *status.Status {
	p := st.Proto()
	for i, a := range p.GetDetails() {
		info := &errdetails.ErrorInfo{}
		if a.MessageIs(info) && a.UnmarshalTo(info) == nil {
			if info.Metadata == nil {
				info.Metadata = map[string]string{}
			}
			info.Metadata[key] = value
			if err := p.Details[i].MarshalFrom(info); err == nil {
				return status.FromProto(p)
			}
		}
	}
	return st
}

// RetryAfter is the RetryInfo delay of a status, 0 if it has none.
func RetryAfter(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}

func hasErrorInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			return true
		}
	}
	return false
}
