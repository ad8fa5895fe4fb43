package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/pbjson"
)

// Internal is the connection service's internal API, for the other services.
type Internal struct {
	connectionv1.UnimplementedConnectionInternalServiceServer
	*Server
}

// Authenticate resolves a user's credential for another service.
func (s Internal) Authenticate(ctx context.Context, req *connectionv1.AuthenticateRequest) (*connectionv1.AuthenticateResponse, error) {
	p, err := s.Principal(ctx, req.GetCredential(), req.GetConnection())
	if err != nil {
		return nil, err
	}
	return &connectionv1.AuthenticateResponse{Account: p.Account, TokenConnection: p.TokenConnection, LinkSession: p.LinkSession, Connection: p.Connection}, nil
}

// GetConnectionSecrets returns a connection with its decrypted credentials.
func (s Internal) GetConnectionSecrets(ctx context.Context, req *connectionv1.GetConnectionSecretsRequest) (*connectionv1.GetConnectionSecretsResponse, error) {
	c, err := s.store.ConnectionByID(ctx, req.GetConnection())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.NotFound, "no connection %q", req.GetConnection())
	}
	if err != nil {
		return nil, err
	}
	creds, err := s.openCredentials(c)
	if err != nil {
		return nil, err
	}
	return &connectionv1.GetConnectionSecretsResponse{Connection: connectionProto(c), Account: c.AccountID, Credentials: creds}, nil
}

// RecordEvents appends events about connections to their accounts' logs.
func (s Internal) RecordEvents(ctx context.Context, req *connectionv1.RecordEventsRequest) (*connectionv1.RecordEventsResponse, error) {
	accounts := map[string]string{}
	events := make([]store.Event, 0, len(req.GetEvents()))
	now := db.Now()
	for i, e := range req.GetEvents() {
		account, ok := accounts[e.GetConnection()]
		if !ok {
			c, err := s.store.ConnectionByID(ctx, e.GetConnection())
			if err != nil {
				return nil, apierr.New(apierr.NotFound, "no connection %q", e.GetConnection())
			}
			account = c.AccountID
			accounts[e.GetConnection()] = account
		}
		data := "{}"
		switch raw := e.GetDataJson(); {
		case len(raw) > 0:
			if !isJSONObject(raw) {
				return nil, apierr.InvalidFields(apierr.FieldViolation{Field: fmt.Sprintf("events[%d].data_json", i), Description: "must be one JSON object"})
			}
			data = string(raw)
		case e.GetData() != nil:
			b, err := pbjson.Marshal(e.GetData())
			if err != nil {
				return nil, err
			}
			data = string(b)
		}
		events = append(events, store.Event{ID: ids.New("evt"), AccountID: account, ConnectionID: e.GetConnection(), Type: e.GetType(), Data: data, DedupeKey: e.GetDedupeKey(), CreateTime: now})
	}
	n, err := s.store.AppendEvents(ctx, events)
	if err != nil {
		return nil, err
	}
	return &connectionv1.RecordEventsResponse{Recorded: int32(n)}, nil
}

// isJSONObject reports whether b is one JSON object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func (s *Server) openCredentials(c store.Connection) (map[string]string, error) {
	plain, err := s.key.Derive("credentials").Open(c.SealedCredentials, []byte(c.ID))
	if err != nil {
		return nil, err
	}
	var creds map[string]string
	if err := json.Unmarshal(plain, &creds); err != nil {
		return nil, err
	}
	return creds, nil
}

func (s *Server) sealCredentials(id string, creds map[string]string) ([]byte, error) {
	plain, err := json.Marshal(creds)
	if err != nil {
		return nil, err
	}
	return s.key.Derive("credentials").Seal(plain, []byte(id))
}
