package server

import (
	"context"
	"errors"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
	"github.com/millwright-dev/millwright/services/connection/internal/store"
	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/auth"
	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/ids"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// How long link sessions and their codes live.
const (
	defaultLinkTTL = time.Hour
	maxLinkTTL     = 7 * 24 * time.Hour
	linkCodeTTL    = 10 * time.Minute
)

// CreateLinkSession creates a link session and returns its one-time URL,
// which carries the session's secret after the `#`, so that the secret
// never reaches a server's logs or a Referer header.
func (s *Server) CreateLinkSession(ctx context.Context, req *connectionv1.CreateLinkSessionRequest) (*connectionv1.CreateLinkSessionResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetLinkSession()
	if req.GetRequestId() != "" {
		prev, err := s.store.LinkSessionByRequestID(ctx, account, req.GetRequestId())
		if err == nil {
			return replayLinkSession(prev, in)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	systems, err := s.catalog.all(ctx)
	if err != nil {
		return nil, err
	}
	now := db.Now()
	expire, allowed, bad := checkLinkSession(in, now, systems)
	if len(bad) > 0 {
		return nil, apierr.InvalidFields(bad...)
	}
	sec := secret.NewToken(secret.LinkSecretPrefix)
	l := store.LinkSession{
		ID:             ids.New("link"),
		AccountID:      account,
		EndUserName:    in.GetEndUserName(),
		EndUserEmail:   in.GetEndUserEmail(),
		AllowedSystems: allowed,
		RedirectURL:    in.GetRedirectUrl(),
		SecretHash:     secret.Hash(sec),
		ExpireTime:     expire.Truncate(time.Microsecond),
		CreateTime:     now,
		RequestID:      req.GetRequestId(),
	}
	err = s.store.CreateLinkSession(ctx, l)
	if db.IsUniqueViolation(err) && req.GetRequestId() != "" {
		prev, err := s.store.LinkSessionByRequestID(ctx, account, req.GetRequestId())
		if err != nil {
			return nil, err
		}
		return replayLinkSession(prev, in)
	}
	if err != nil {
		return nil, err
	}
	out := linkSessionProto(l, now)
	out.Url = s.linkURL + "/link/" + l.ID + "#" + sec
	return &connectionv1.CreateLinkSessionResponse{LinkSession: out}, nil
}

// checkLinkSession checks a session to create against the catalog and
// returns its expiry and allowed systems (without duplicates), or its bad
// fields.
func checkLinkSession(in *connectionv1.LinkSession, now time.Time, systems map[string]*entityv1.System) (expire time.Time, allowed []string, bad []apierr.FieldViolation) {
	if d := redirectProblem(in.GetRedirectUrl()); d != "" {
		bad = append(bad, apierr.FieldViolation{Field: "link_session.redirect_url", Description: d})
	}
	if e := in.GetEndUserEmail(); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			bad = append(bad, apierr.FieldViolation{Field: "link_session.end_user_email", Description: "must be an email address such as ada@example.com"})
		}
	}
	expire = now.Add(defaultLinkTTL)
	if in.GetExpireTime() != nil {
		expire = in.GetExpireTime().AsTime()
		switch {
		case !expire.After(now):
			bad = append(bad, apierr.FieldViolation{Field: "link_session.expire_time", Description: "must be in the future"})
		case expire.After(now.Add(maxLinkTTL)):
			bad = append(bad, apierr.FieldViolation{Field: "link_session.expire_time", Description: "must be at most 7 days ahead"})
		}
	}
	for i, id := range in.GetAllowedSystems() {
		switch {
		case systems[id] == nil:
			bad = append(bad, apierr.FieldViolation{Field: "link_session.allowed_systems[" + strconv.Itoa(i) + "]", Description: unknownSystem(id, systems)})
		case !slices.Contains(allowed, id):
			allowed = append(allowed, id)
		}
	}
	return expire, allowed, bad
}

// replayLinkSession answers a retried create: the same session, without its
// URL, which is shown only once. The same request_id with another redirect
// URL is refused.
func replayLinkSession(prev store.LinkSession, in *connectionv1.LinkSession) (*connectionv1.CreateLinkSessionResponse, error) {
	if prev.RedirectURL != in.GetRedirectUrl() {
		return nil, apierr.New(apierr.RequestIDReused, "request_id was used for another request (a link session with another redirect URL)").With("link_session", prev.ID)
	}
	return &connectionv1.CreateLinkSessionResponse{LinkSession: linkSessionProto(prev, db.Now())}, nil
}

// redirectProblem says what is wrong with a redirect URL: it must be an
// absolute https URL, or http on a loopback host (for development), without
// a fragment.
func redirectProblem(raw string) string {
	if raw == "" {
		return "is required"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "must be an absolute https URL"
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return "must be https (http only on localhost)"
	case u.Fragment != "":
		return "must not have a fragment (#...)"
	}
	return ""
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// GetLinkSession returns a session to its account, or to the Link page
// with the session's secret.
func (s *Server) GetLinkSession(ctx context.Context, req *connectionv1.GetLinkSessionRequest) (*connectionv1.GetLinkSessionResponse, error) {
	l, err := s.linkSession(ctx, req.GetLinkSession(), true)
	if err != nil {
		return nil, err
	}
	return &connectionv1.GetLinkSessionResponse{LinkSession: linkSessionProto(l, db.Now())}, nil
}

// linkSession returns the request's session: the one of the caller's link
// secret (which authentication found usable), or, when accountKey allows
// it, one of the caller's account. Another account's session, or none, is
// PERMISSION_DENIED alike.
func (s *Server) linkSession(ctx context.Context, id string, accountKey bool) (store.LinkSession, error) {
	p, _ := auth.From(ctx)
	account := p.Account
	if p.LinkSession == "" {
		if !accountKey {
			return store.LinkSession{}, apierr.New(apierr.PermissionDenied, "only the Link page may do this, with the link session's secret")
		}
		var err error
		if account, err = auth.Account(ctx); err != nil {
			return store.LinkSession{}, err
		}
	} else if p.LinkSession != id {
		return store.LinkSession{}, deniedLink(id)
	}
	l, err := s.store.GetLinkSession(ctx, account, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.LinkSession{}, deniedLink(id)
	}
	return l, err
}

func deniedLink(id string) error {
	return apierr.New(apierr.PermissionDenied, "the credential may not use link session %q", id).With("link_session", id)
}

// usable refuses a link session the Link page may no longer use, with a
// reason the page shows.
func usable(l store.LinkSession, now time.Time) error {
	switch l.State(now) {
	case store.LinkExpired:
		return apierr.New(apierr.LinkSessionExpired, "this link expired at %s; ask for a new one", l.ExpireTime.UTC().Format(time.RFC3339)).With("link_session", l.ID)
	case store.LinkConnected, store.LinkExchanged:
		return linkUsed(l.ID)
	}
	return nil
}

func linkUsed(id string) error {
	return apierr.New(apierr.LinkSessionUsed, "this link was already used to connect a system").With("link_session", id)
}

// ConnectLinkSession connects a system for the Link page through the same
// path as CreateConnection (fields, credits, a live check), then records
// the connection on the session with a one-time code. The connection's
// token is dropped: the account gets one by exchanging the code.
func (s *Server) ConnectLinkSession(ctx context.Context, req *connectionv1.ConnectLinkSessionRequest) (*connectionv1.ConnectLinkSessionResponse, error) {
	l, err := s.linkSession(ctx, req.GetLinkSession(), false)
	if err != nil {
		return nil, err
	}
	if err := usable(l, db.Now()); err != nil {
		return nil, err
	}
	in := req.GetConnection()
	if len(l.AllowedSystems) > 0 && !slices.Contains(l.AllowedSystems, in.GetSystem()) {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "connection.system", Description: "must be one of this link's systems: " + strings.Join(l.AllowedSystems, ", ")})
	}
	metadata := map[string]string{"link_session": l.ID}
	if l.EndUserName != "" {
		metadata["end_user_name"] = l.EndUserName
	}
	if l.EndUserEmail != "" {
		metadata["end_user_email"] = l.EndUserEmail
	}
	// The session's id is the request id: a retried or concurrent connect
	// makes one connection at most.
	created, err := s.create(ctx, l.AccountID, &connectionv1.Connection{
		System:      in.GetSystem(),
		DisplayName: in.GetDisplayName(),
		Settings:    in.GetSettings(),
		Credentials: in.GetCredentials(),
		Metadata:    metadata,
	}, l.ID, "")
	if err != nil {
		return nil, err
	}
	code := secret.NewToken(secret.LinkCodePrefix)
	now := db.Now()
	err = s.store.ConnectLinkSession(ctx, l.ID, created.GetConnection().GetId(), secret.Hash(code), now.Add(linkCodeTTL))
	if errors.Is(err, store.ErrLinkUsed) {
		return nil, linkUsed(l.ID)
	}
	if err != nil {
		return nil, err
	}
	l.ConnectionID = created.GetConnection().GetId()
	to, err := url.Parse(l.RedirectURL)
	if err != nil {
		return nil, err
	}
	q := to.Query()
	q.Set("link_session", l.ID)
	q.Set("code", code)
	to.RawQuery = q.Encode()
	return &connectionv1.ConnectLinkSessionResponse{LinkSession: linkSessionProto(l, now), RedirectTo: to.String()}, nil
}

// ExchangeLinkSession exchanges a session's one-time code for its
// connection and a new token, once.
func (s *Server) ExchangeLinkSession(ctx context.Context, req *connectionv1.ExchangeLinkSessionRequest) (*connectionv1.ExchangeLinkSessionResponse, error) {
	account, err := auth.Account(ctx)
	if err != nil {
		return nil, err
	}
	id := req.GetLinkSession()
	if req.GetCode() == "" {
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "code", Description: "is required: the code the redirect URL received"})
	}
	token := secret.NewToken(secret.ConnectionTokenPrefix)
	l, err := s.store.ExchangeLinkSession(ctx, account, id, secret.Hash(req.GetCode()), secret.Hash(token), db.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, deniedLink(id)
	case errors.Is(err, store.ErrLinkNotConnected):
		return nil, apierr.New(apierr.FailedPrecondition, "the customer has not connected a system through this link yet").With("link_session", id)
	case errors.Is(err, store.ErrLinkCode):
		return nil, apierr.InvalidFields(apierr.FieldViolation{Field: "code", Description: "is not this link session's code"})
	case errors.Is(err, store.ErrLinkUsed):
		return nil, apierr.New(apierr.LinkSessionUsed, "the code was already exchanged; rotate the connection's token if that answer was lost").
			With("link_session", id).With("connection", l.ConnectionID)
	case errors.Is(err, store.ErrLinkExpired):
		return nil, apierr.New(apierr.LinkSessionExpired, "the link session or its code expired; create a new link session").With("link_session", id)
	case errors.Is(err, store.ErrConnectionGone):
		return nil, apierr.New(apierr.ConnectionDisconnected, "connection %q was disconnected before the code was exchanged", l.ConnectionID).
			With("link_session", id).With("connection", l.ConnectionID)
	case err != nil:
		return nil, err
	}
	c, err := s.store.GetConnection(ctx, account, l.ConnectionID)
	if err != nil {
		return nil, err
	}
	return &connectionv1.ExchangeLinkSessionResponse{Connection: connectionProto(c), Token: token}, nil
}

func linkSessionProto(l store.LinkSession, now time.Time) *connectionv1.LinkSession {
	return &connectionv1.LinkSession{
		Id:             l.ID,
		EndUserName:    l.EndUserName,
		EndUserEmail:   l.EndUserEmail,
		AllowedSystems: l.AllowedSystems,
		RedirectUrl:    l.RedirectURL,
		ExpireTime:     timestamppb.New(l.ExpireTime),
		Connection:     l.ConnectionID,
		CreateTime:     timestamp(l.CreateTime),
		State:          connectionv1.LinkSession_State(connectionv1.LinkSession_State_value[l.State(now)]),
	}
}
