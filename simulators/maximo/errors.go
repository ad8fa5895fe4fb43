package maximo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Reason codes, listed with their meaning in the package documentation.
const (
	codeBadLogin      = "BMXAA0021E"
	codeNotAllowed    = "BMXAA0024E"
	codeSameStatus    = "BMXAA0032E"
	codeBadAsset      = "BMXAA0090E"
	codeBadPerson     = "BMXAA3811E"
	codeBadLocation   = "BMXAA2661E"
	codeNotInDomain   = "BMXAA4021E"
	codeBadParent     = "BMXAA4114E"
	codeBadQuantity   = "BMXAA4122E"
	codeExists        = "BMXAA4129E"
	codeReadOnly      = "BMXAA4147E"
	codeRequired      = "BMXAA4195E"
	codeBadSite       = "BMXAA4203E"
	codeBadCompany    = "BMXAA4222E"
	codeBadItem       = "BMXAA4251E"
	codeBadStoreroom  = "BMXAA4253E"
	codeStatusChange  = "BMXAA4590E"
	codeBadTransition = "BMXAA4591E"
	codeServerError   = "BMXAA6713E"
	codeNoStructure   = "BMXAA7824E"
	codeStale         = "BMXAA8229W"
	codeBadQuery      = "BMXAA8708E"
	codeUnknownAttr   = "BMXAA8709E"
	codeBadValue      = "BMXAA8710E"
	codeNotFound      = "BMXAA8727E"
	codeDuplicateTxn  = "BMXAA9524E"
	codeBadAPIKey     = "BMXAA9549E"
)

// apiError is an error answered in Maximo's error body.
type apiError struct {
	status int
	code   string
	msg    string // the message without its code
}

func (e *apiError) message() string {
	if e.code == "" {
		return e.msg
	}
	return e.code + " - " + e.msg
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func badRequest(code, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, code, format, args...)
}

// nested returns an error whose message carries a second, more precise one,
// the way Maximo reports a failed status change.
func nested(outer, inner *apiError) *apiError {
	return &apiError{status: outer.status, code: outer.code, msg: outer.msg + "\n\t" + inner.message()}
}

type errorBody struct {
	Error struct {
		ReasonCode string `json:"reasonCode,omitempty"`
		Message    string `json:"message"`
		StatusCode string `json:"statusCode"`
	} `json:"Error"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	var b errorBody
	b.Error.ReasonCode = e.code
	b.Error.Message = e.message()
	b.Error.StatusCode = strconv.Itoa(e.status)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(b)
}

var (
	errBadLogin = errorf(http.StatusUnauthorized, codeBadLogin,
		"User name and password combination are not valid. Try again.")
	errBadAPIKey = errorf(http.StatusUnauthorized, codeBadAPIKey,
		"The API key token is invalid. Either the token may have expired or the token has been revoked by the administrator.")
)

func notFound(osName, id string) *apiError {
	return errorf(http.StatusNotFound, codeNotFound,
		"The OSLC resource %s with the ID %s was not found as it does not exist in the system. In the database, verify whether the resource for the ID exists.",
		osName, id)
}

func notAllowed(status int, action, object string) *apiError {
	return errorf(status, codeNotAllowed,
		"The action %s is not allowed on object %s. Verify the business rules for the object and define the appropriate action for the object.",
		action, object)
}

// faultError is the body of a simulated outage or refusal.
func faultError(status int) *apiError {
	switch status {
	case http.StatusUnauthorized:
		return errBadLogin
	case http.StatusTooManyRequests:
		return errorf(status, "", "Too many requests. Wait before sending more requests.")
	default:
		return errorf(status, codeServerError,
			"The MBO fetch operation failed in the mboset. The record could not be retrieved from the database.")
	}
}
