package server

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"google.golang.org/protobuf/types/known/durationpb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/connection/internal/webhook"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/pagetoken"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

func (s *Server) webhookWorker() *webhook.Worker { return s.webhooks }

// eventType is the shape of event types: dotted lower-case words.
var eventType = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

const maxEventTypes = 100

// checkEndpoint checks an endpoint's URL and event types and returns the
// event types without duplicates.
func (s *Server) checkEndpoint(ctx context.Context, in *connectionv1.WebhookEndpoint, checkURL, checkTypes bool) ([]string, error) {
	var bad []apierr.FieldViolation
	if checkURL {
		if err := webhook.CheckURL(ctx, in.GetUrl(), s.webhookWorker().AllowsPrivateNetworks()); err != nil {
			bad = append(bad, apierr.FieldViolation{Field: "webhook_endpoint.url", Description: err.Error()})
		}
	}
	var types []string
	if checkTypes {
		if len(in.GetEventTypes()) > maxEventTypes {
			bad = append(bad, apierr.FieldViolation{Field: "webhook_endpoint.event_types", Description: fmt.Sprintf("must have at most %d types", maxEventTypes)})
		}
		seen := map[string]bool{}
		for i, t := range in.GetEventTypes() {
			if !eventType.MatchString(t) {
				bad = append(bad, apierr.FieldViolation{Field: fmt.Sprintf("webhook_endpoint.event_types[%d]", i), Description: fmt.Sprintf("%q is not an event type such as connection.status_changed or record.created", t)})
				continue
			}
			if !seen[t] {
				seen[t] = true
				types = append(types, t)
			}
		}
	}
	if len(bad) > 0 {
		return nil, apierr.InvalidFields(bad...)
	}
	return types, nil
}

// CreateWebhookEndpoint creates an endpoint, enabled, and returns it with
// its signing secret, shown only this once. The secret is kept encrypted:
// the worker needs it to sign.
func (s *Server) CreateWebhookEndpoint(ctx context.Context, req *connectionv1.CreateWebhookEndpointRequest) (*connectionv1.CreateWebhookEndpointResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetWebhookEndpoint()
	if req.GetRequestId() != "" {
		prev, err := s.store.WebhookEndpointByRequestID(ctx, account, req.GetRequestId())
		if err == nil {
			return replayEndpoint(prev, in)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	types, err := s.checkEndpoint(ctx, in, true, true)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	ep := store.WebhookEndpoint{
		ID:         ids.New("whe"),
		AccountID:  account,
		URL:        in.GetUrl(),
		EventTypes: types,
		Enabled:    true,
		RequestID:  req.GetRequestId(),
		CreateTime: now,
		UpdateTime: now,
	}
	whsec := secret.NewToken(secret.WebhookSecretPrefix)
	if ep.SealedSecret, err = webhook.SealSecret(s.key, ep.ID, whsec); err != nil {
		return nil, err
	}
	err = s.store.CreateWebhookEndpoint(ctx, ep)
	if db.IsUniqueViolation(err) && req.GetRequestId() != "" {
		prev, err := s.store.WebhookEndpointByRequestID(ctx, account, req.GetRequestId())
		if err != nil {
			return nil, err
		}
		return replayEndpoint(prev, in)
	}
	if err != nil {
		return nil, err
	}
	out := endpointProto(ep)
	out.Secret = whsec
	return &connectionv1.CreateWebhookEndpointResponse{WebhookEndpoint: out}, nil
}

// replayEndpoint answers a retried create: the same endpoint, without its
// secret, which is shown only once. The same request_id with another URL is
// refused.
func replayEndpoint(prev store.WebhookEndpoint, in *connectionv1.WebhookEndpoint) (*connectionv1.CreateWebhookEndpointResponse, error) {
	if prev.URL != in.GetUrl() {
		return nil, apierr.New(apierr.RequestIDReused, "request_id was used for another request (an endpoint with another URL)").With("webhook_endpoint", prev.ID)
	}
	return &connectionv1.CreateWebhookEndpointResponse{WebhookEndpoint: endpointProto(prev)}, nil
}

// ownEndpoint returns an endpoint of the calling account. Another account's
// endpoint, or none, is PERMISSION_DENIED alike.
func (s *Server) ownEndpoint(ctx context.Context, id string) (store.WebhookEndpoint, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	ep, err := s.store.GetWebhookEndpoint(ctx, account, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.WebhookEndpoint{}, apierr.New(apierr.PermissionDenied, "the credential may not use webhook endpoint %q", id).With("webhook_endpoint", id)
	}
	return ep, err
}

// GetWebhookEndpoint returns one of the account's endpoints, without its
// secret.
func (s *Server) GetWebhookEndpoint(ctx context.Context, req *connectionv1.GetWebhookEndpointRequest) (*connectionv1.GetWebhookEndpointResponse, error) {
	ep, err := s.ownEndpoint(ctx, req.GetWebhookEndpoint())
	if err != nil {
		return nil, err
	}
	return &connectionv1.GetWebhookEndpointResponse{WebhookEndpoint: endpointProto(ep)}, nil
}

type endpointCursor struct {
	Before string `json:"b"`
}

// ListWebhookEndpoints lists the account's endpoints, newest first.
func (s *Server) ListWebhookEndpoints(ctx context.Context, req *connectionv1.ListWebhookEndpointsRequest) (*connectionv1.ListWebhookEndpointsResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	size, err := pagetoken.PageSize(req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	scope := "webhookEndpoints|" + account
	var cur endpointCursor
	if req.GetPageToken() != "" {
		if err := s.pages.Decode(scope, req.GetPageToken(), &cur); err != nil {
			return nil, err
		}
	}
	rows, err := s.store.ListWebhookEndpoints(ctx, store.WebhookEndpointFilter{AccountID: account, Before: cur.Before, Limit: size + 1})
	if err != nil {
		return nil, err
	}
	rows, next, err := pagetoken.Page(s.pages, scope, rows, size, func(ep store.WebhookEndpoint) endpointCursor { return endpointCursor{Before: ep.ID} })
	if err != nil {
		return nil, err
	}
	resp := &connectionv1.ListWebhookEndpointsResponse{NextPageToken: next}
	for _, ep := range rows {
		resp.WebhookEndpoints = append(resp.WebhookEndpoints, endpointProto(ep))
	}
	return resp, nil
}

// UpdateWebhookEndpoint changes an endpoint's URL, event types or enabled
// flag, as named by the update mask. Deliveries already queued go to the new
// URL; a disabled endpoint gets no new deliveries, and its queued ones wait
// until it is enabled again.
func (s *Server) UpdateWebhookEndpoint(ctx context.Context, req *connectionv1.UpdateWebhookEndpointRequest) (*connectionv1.UpdateWebhookEndpointResponse, error) {
	in := req.GetWebhookEndpoint()
	ep, err := s.ownEndpoint(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "update_mask", Description: "name the fields to change: url, event_types, enabled"})
	}
	var setURL, setTypes bool
	for _, p := range paths {
		switch p {
		case "url":
			setURL = true
		case "event_types":
			setTypes = true
		case "enabled":
			ep.Enabled = in.GetEnabled()
		default:
			return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "update_mask", Description: p + " cannot be changed; url, event_types and enabled can"})
		}
	}
	types, err := s.checkEndpoint(ctx, in, setURL, setTypes)
	if err != nil {
		return nil, err
	}
	if setURL {
		ep.URL = in.GetUrl()
	}
	if setTypes {
		ep.EventTypes = types
	}
	ep.UpdateTime = db.Now()
	if err := s.store.UpdateWebhookEndpoint(ctx, ep); err != nil {
		return nil, err
	}
	return &connectionv1.UpdateWebhookEndpointResponse{WebhookEndpoint: endpointProto(ep)}, nil
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries.
func (s *Server) DeleteWebhookEndpoint(ctx context.Context, req *connectionv1.DeleteWebhookEndpointRequest) (*connectionv1.DeleteWebhookEndpointResponse, error) {
	ep, err := s.ownEndpoint(ctx, req.GetWebhookEndpoint())
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteWebhookEndpoint(ctx, ep.AccountID, ep.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &connectionv1.DeleteWebhookEndpointResponse{}, nil
}

type deliveryCursor struct {
	Before int64 `json:"b"`
}

// ListWebhookDeliveries lists an endpoint's deliveries, newest first, each
// with every attempt.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req *connectionv1.ListWebhookDeliveriesRequest) (*connectionv1.ListWebhookDeliveriesResponse, error) {
	ep, err := s.ownEndpoint(ctx, req.GetWebhookEndpoint())
	if err != nil {
		return nil, err
	}
	size, err := pagetoken.PageSize(req.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	scope := "webhookDeliveries|" + ep.AccountID + "|" + ep.ID
	var cur deliveryCursor
	if req.GetPageToken() != "" {
		if err := s.pages.Decode(scope, req.GetPageToken(), &cur); err != nil {
			return nil, err
		}
	}
	rows, err := s.store.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: ep.ID, BeforeSeq: cur.Before, Limit: size + 1})
	if err != nil {
		return nil, err
	}
	rows, next, err := pagetoken.Page(s.pages, scope, rows, size, func(d store.WebhookDelivery) deliveryCursor { return deliveryCursor{Before: d.EventSeq} })
	if err != nil {
		return nil, err
	}
	resp := &connectionv1.ListWebhookDeliveriesResponse{NextPageToken: next}
	for _, d := range rows {
		resp.WebhookDeliveries = append(resp.WebhookDeliveries, deliveryProto(d))
	}
	return resp, nil
}

// RetryWebhookDelivery sends a delivery again now, whatever its state, and
// returns it with the new attempt.
func (s *Server) RetryWebhookDelivery(ctx context.Context, req *connectionv1.RetryWebhookDeliveryRequest) (*connectionv1.RetryWebhookDeliveryResponse, error) {
	ep, err := s.ownEndpoint(ctx, req.GetWebhookEndpoint())
	if err != nil {
		return nil, err
	}
	d, err := s.webhookWorker().Retry(ctx, ep.ID, req.GetDelivery())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, apierr.New(apierr.NotFound, "webhook endpoint %s has no delivery %q", ep.ID, req.GetDelivery()).
			With("webhook_endpoint", ep.ID).With("delivery", req.GetDelivery())
	case errors.Is(err, store.ErrLeased):
		return nil, apierr.New(apierr.Conflict, "delivery %s is being attempted right now; list the deliveries to see the outcome, or retry in a few seconds", req.GetDelivery()).
			With("webhook_endpoint", ep.ID).With("delivery", req.GetDelivery())
	case err != nil:
		return nil, err
	}
	return &connectionv1.RetryWebhookDeliveryResponse{WebhookDelivery: deliveryProto(d)}, nil
}

func endpointProto(ep store.WebhookEndpoint) *connectionv1.WebhookEndpoint {
	return &connectionv1.WebhookEndpoint{
		Id:         ep.ID,
		Url:        ep.URL,
		EventTypes: ep.EventTypes,
		Enabled:    ep.Enabled,
		CreateTime: timestamp(ep.CreateTime),
		UpdateTime: timestamp(ep.UpdateTime),
	}
}

func deliveryProto(d store.WebhookDelivery) *connectionv1.WebhookDelivery {
	out := &connectionv1.WebhookDelivery{
		Id:              d.ID,
		WebhookEndpoint: d.EndpointID,
		Event:           d.EventID,
		EventType:       d.EventType,
		State:           connectionv1.WebhookDelivery_State(connectionv1.WebhookDelivery_State_value[d.State]),
		CreateTime:      timestamp(d.CreateTime),
	}
	if d.State == store.DeliveryPending {
		out.NextAttemptTime = timestamp(d.NextAttemptTime)
	}
	for _, a := range d.Attempts {
		out.Attempts = append(out.Attempts, &connectionv1.WebhookAttempt{
			Time:       timestamp(a.Time),
			StatusCode: int32(a.StatusCode),
			Latency:    durationpb.New(a.Latency),
			Error:      a.Error,
		})
	}
	return out
}
