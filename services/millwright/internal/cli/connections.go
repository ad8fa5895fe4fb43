package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	millwright "github.com/millwright-dev/millwright/client"
	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
)

func init() {
	registerAPI("connections", "list, create, disconnect, reconnect and delete connections", map[string]func() apiCommand{
		"list":         connectionsList,
		"get":          connectionsGet,
		"create":       connectionsCreate,
		"disconnect":   connectionsDisconnect,
		"reconnect":    connectionsReconnect,
		"rotate-token": connectionsRotateToken,
		"delete":       connectionsDelete,
	})
}

var connectionColumns = []string{"id", "system", "display_name", "status", "credits", "create_time"}

func connectionsList() apiCommand {
	var page pageFlags
	var status, system string
	return apiCommand{
		help: "list the account's connections",
		flags: func(fs *flag.FlagSet) {
			page.define(fs)
			fs.StringVar(&status, "status", "", "only connections in this status (ACTIVE, UNREACHABLE, DISCONNECTED ...)")
			fs.StringVar(&system, "system", "", "only connections to this system (maximo, sap ...)")
		},
		run: func(ctx context.Context, s *session, _ []string) error {
			req := &connectionv1.ListConnectionsRequest{System: system}
			if status != "" {
				v, ok := connectionv1.Connection_Status_value[strings.ToUpper(status)]
				if !ok {
					return usagef("--status %q: want one of PENDING, ACTIVE, UNREACHABLE, AUTH_FAILED, INACTIVE, DISCONNECTED, DELETING", status)
				}
				req.Status = connectionv1.Connection_Status(v)
			}
			resp, err := page.list(ctx, method(s.Connections.ListConnections), req)
			if err != nil {
				return err
			}
			return s.out.list(resp, "connections", connectionColumns...)
		},
	}
}

func connectionsGet() apiCommand {
	return apiCommand{
		help: "show a connection",
		args: []string{"<connection>"},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Connections.GetConnection(ctx, &connectionv1.GetConnectionRequest{Connection: args[0]})
			if err != nil {
				return err
			}
			return s.out.one(resp, "connection")
		},
	}
}

func connectionsCreate() apiCommand {
	var system, name, requestID string
	settings, creds := keyValues{}, keyValues{}
	return apiCommand{
		help: "connect a system; prints the connection's token once",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&system, "system", "", "the system to connect (see 'millwright systems')")
			fs.StringVar(&name, "display-name", "", "a name for people")
			fs.StringVar(&requestID, "request-id", "", "makes a retried create return the first connection (default: a new id per run)")
			fs.Var(settings, "setting", "a setting of the system, KEY=VALUE (repeatable)")
			fs.Var(creds, "credential", "a credential of the system, KEY=VALUE (repeatable)")
		},
		run: func(ctx context.Context, s *session, _ []string) error {
			if system == "" {
				return usagef("--system is required")
			}
			resp, err := s.Connections.CreateConnection(ctx, &connectionv1.CreateConnectionRequest{
				Connection: &connectionv1.Connection{System: system, DisplayName: name, Settings: settings, Credentials: creds},
				RequestId:  requestID,
			})
			if err != nil {
				return err
			}
			return s.withSecret(resp, "connection", "Connection token", resp.GetToken())
		},
	}
}

func connectionsDisconnect() apiCommand {
	return apiCommand{
		help: "disconnect: revoke the token, stop syncs, return the credits; the synced data stays readable",
		args: []string{"<connection>"},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Connections.DisconnectConnection(ctx, &connectionv1.DisconnectConnectionRequest{Connection: args[0]})
			if err != nil {
				return err
			}
			if s.out.json {
				return s.out.jsonLine(resp)
			}
			c := resp.GetConnection()
			_, err = fmt.Fprintf(s.out.w, "Disconnected %s (%s): status %s. Its token is revoked, its syncs are stopped and its credits are back in the account's pool.\n"+
				"Its synced data stays readable with the account key until 'millwright connections delete %s'.\n",
				c.GetId(), c.GetSystem(), c.GetStatus(), c.GetId())
			return err
		},
	}
}

func connectionsReconnect() apiCommand {
	var requestID string
	creds := keyValues{}
	return apiCommand{
		help: "reconnect a disconnected connection: a new connection with a new token, printed once",
		args: []string{"<connection>"},
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&requestID, "request-id", "", "makes a retried reconnect return the first result")
			fs.Var(creds, "credential", "a new credential, KEY=VALUE (repeatable; default: the old ones)")
		},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Connections.ReconnectConnection(ctx, &connectionv1.ReconnectConnectionRequest{Connection: args[0], Credentials: creds, RequestId: requestID})
			if err != nil {
				return err
			}
			return s.withSecret(resp, "connection", "Token of the new connection", resp.GetToken())
		},
	}
}

func connectionsRotateToken() apiCommand {
	return apiCommand{
		help: "replace a connection's token; the old one stops working at once",
		args: []string{"<connection>"},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Connections.RotateConnectionToken(ctx, &connectionv1.RotateConnectionTokenRequest{Connection: args[0]})
			if err != nil {
				return err
			}
			return s.withSecret(resp, "connection", "New connection token", resp.GetToken())
		},
	}
}

func connectionsDelete() apiCommand {
	wait := true
	return apiCommand{
		help: "delete a disconnected connection and its synced data",
		args: []string{"<connection>"},
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&wait, "wait", true, "follow the deletion of the data until it is done (progress on stderr)")
		},
		run: func(ctx context.Context, s *session, args []string) error {
			id := args[0]
			resp, err := s.Connections.DeleteConnection(ctx, &connectionv1.DeleteConnectionRequest{Connection: id})
			if err != nil {
				return err
			}
			if !wait {
				return s.out.one(resp, "connection")
			}
			p := newProgress(s.progress)
			start := time.Now()
			for {
				_, err := s.Connections.GetConnection(ctx, &connectionv1.GetConnectionRequest{Connection: id})
				var e *millwright.Error
				if errors.As(err, &e) && (e.Code == codes.PermissionDenied || e.Code == codes.NotFound) {
					break // gone
				}
				if err != nil {
					return err
				}
				p.show("deleting %s and its synced data (%s)", id, time.Since(start).Round(time.Second))
				if err := sleep(ctx, time.Second); err != nil {
					return err
				}
			}
			p.done()
			return s.deleted(ctx, id)
		},
	}
}

// deleted reports a finished delete with the count its event recorded.
func (s *session) deleted(ctx context.Context, id string) error {
	var ev *connectionv1.Event
	for e, err := range s.Events(ctx, millwright.WithConnection(id), millwright.WithEventType("connection.deleted")) {
		if err != nil {
			return err
		}
		ev = e
	}
	if s.out.json {
		if ev == nil {
			ev = &connectionv1.Event{Type: "connection.deleted", Connection: id}
		}
		return s.out.jsonLine(ev)
	}
	n := ev.GetData().GetFields()["records_deleted"].GetNumberValue()
	_, err := fmt.Fprintf(s.out.w, "Deleted %s and its %d synced records.\n", id, int64(n))
	return err
}

// withSecret prints a response that carries a secret: in JSON as is; as
// a table, the resource and then the secret, clearly, once.
func (s *session) withSecret(resp proto.Message, field, what, secret string) error {
	if err := s.out.one(resp, field); err != nil || s.out.json {
		return err
	}
	_, err := fmt.Fprintf(s.out.w, "\n%s (shown only now; keep it safe):\n  %s\n", what, secret)
	return err
}

// keyValues is a repeatable KEY=VALUE flag.
type keyValues map[string]string

func (kv keyValues) String() string { return "" }

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", s)
	}
	kv[k] = v
	return nil
}
