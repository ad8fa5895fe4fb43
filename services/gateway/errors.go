package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/requestid"
)

// defaultRetryAfter is the Retry-After of a 503 or 429 whose error names no
// delay.
var defaultRetryAfter = map[apierr.Reason]int{
	apierr.ConnectedSystemUnavailable: 30,
	apierr.ConnectedSystemRateLimited: 5,
	apierr.RateLimited:                1,
	apierr.Unavailable:                1,
}

// writeError writes st as a google.rpc.Status JSON body with the HTTP status
// of its reason, the request id in its ErrorInfo, and Retry-After where a
// client should wait.
func writeError(w http.ResponseWriter, r *http.Request, st *status.Status) {
	st = apierr.ToStatus(st.Err())
	id := requestid.From(r.Context())
	if id != "" {
		st = apierr.WithMetadata(st, "request_id", id)
	}
	reason, _ := apierr.FromStatus(st)
	code := reason.HTTPStatus()
	if d := apierr.RetryAfter(st); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	} else if s, ok := defaultRetryAfter[reason]; ok {
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
	body, err := marshaler.Marshal(st.Proto())
	if err != nil {
		code = http.StatusInternalServerError
		body = []byte(`{"code":13,"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Grpc-Metadata-Content-Type")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// errorHandler is the gateway's error handler: every error, from a service
// or from decoding the request, becomes a Millwright error.
func errorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, classify(err))
}

// routingErrorHandler answers unknown paths and methods.
func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		writeError(w, r, apierr.New(apierr.MethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path).GRPCStatus())
	case http.StatusNotFound:
		writeError(w, r, apierr.New(apierr.RouteNotFound, "no route %s %s; see /openapi.json", r.Method, r.URL.Path).GRPCStatus())
	default:
		writeError(w, r, apierr.New(apierr.InvalidArgument, "%s", http.StatusText(httpStatus)).GRPCStatus())
	}
}

var fieldInMessage = regexp.MustCompile(`(?:unknown field|invalid value for \w+ field|parsing field|parsing list|type mismatch, parameter:) "?([A-Za-z0-9_.\[\]]+)"?`)

// classify gives a request the gateway could not decode a reason and the
// field at fault; service errors pass through.
func classify(err error) *status.Status {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return bodyTooLarge(tooLarge.Limit)
	}
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || len(st.Details()) > 0 {
		return st
	}
	msg := st.Message()
	if strings.Contains(msg, "request body too large") {
		return bodyTooLarge(0)
	}
	reason := apierr.InvalidArgument
	field := ""
	if m := fieldInMessage.FindStringSubmatch(msg); m != nil {
		field = m[1]
		reason = apierr.InvalidValue
		if strings.Contains(msg, "unknown field") {
			reason = apierr.UnknownField
		}
	} else if strings.HasPrefix(msg, "proto:") || strings.Contains(msg, "syntax error") || strings.Contains(msg, "unexpected") {
		reason = apierr.MalformedJSON
		field = "body"
	}
	e := apierr.New(reason, "%s", cleanMessage(msg))
	if field != "" {
		e.Fields = []apierr.FieldViolation{{Field: field, Description: cleanMessage(msg)}}
		e.With("field", field)
	}
	return e.GRPCStatus()
}

func bodyTooLarge(limit int64) *status.Status {
	msg := "the request body is too large"
	if limit > 0 {
		msg = fmt.Sprintf("the request body is larger than %d bytes", limit)
	}
	e := apierr.New(apierr.RequestTooLarge, "%s", msg)
	e.Fields = []apierr.FieldViolation{{Field: "body", Description: msg}}
	return e.With("field", "body").GRPCStatus()
}

var linePrefix = regexp.MustCompile(`^proto:\s*(syntax error )?\(line \d+:\d+\):\s*`)

func cleanMessage(msg string) string {
	if m := linePrefix.FindString(msg); m != "" {
		rest := strings.TrimSpace(msg[len(m):])
		if strings.Contains(m, "syntax error") {
			return "malformed JSON: " + rest
		}
		return rest
	}
	return msg
}
