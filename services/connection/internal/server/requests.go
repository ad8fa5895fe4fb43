package server

import (
	"context"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
)

// GetRequestLogEntry finds one of the account's requests in the request
// logs of the three services. Another account's request is NOT_FOUND, as an
// unknown id is.
func (s *Server) GetRequestLogEntry(ctx context.Context, req *connectionv1.GetRequestLogEntryRequest) (*connectionv1.GetRequestLogEntryResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	e, err := requestlog.Lookup(ctx, s.requests, s.peers, req.GetRequestId(), account)
	if err != nil {
		return nil, err
	}
	return &connectionv1.GetRequestLogEntryResponse{RequestLogEntry: e}, nil
}
