package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	connectionv1 "github.com/millwright-dev/millwright/gen/go/millwright/connection/v1"
)

func init() {
	registerAPI("webhooks", "manage webhook endpoints and their deliveries", map[string]func() apiCommand{
		"list":       webhooksList,
		"create":     webhooksCreate,
		"delete":     webhooksDelete,
		"deliveries": webhooksDeliveries,
		"retry":      webhooksRetry,
	})
}

func webhooksList() apiCommand {
	var page pageFlags
	return apiCommand{
		help:  "list the account's webhook endpoints",
		flags: func(fs *flag.FlagSet) { page.define(fs) },
		run: func(ctx context.Context, s *session, _ []string) error {
			resp, err := page.list(ctx, method(s.Connections.ListWebhookEndpoints), &connectionv1.ListWebhookEndpointsRequest{})
			if err != nil {
				return err
			}
			return s.out.list(resp, "webhook_endpoints", "id", "url", "event_types", "enabled", "create_time")
		},
	}
}

func webhooksCreate() apiCommand {
	var url, types, requestID string
	return apiCommand{
		help: "add a webhook endpoint; prints its signing secret once",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&url, "url", "", "where to POST the events")
			fs.StringVar(&types, "event-types", "", "comma-separated event types to send (default: every type)")
			fs.StringVar(&requestID, "request-id", "", "makes a retried create return the first endpoint")
		},
		run: func(ctx context.Context, s *session, _ []string) error {
			if url == "" {
				return usagef("--url is required")
			}
			ep := &connectionv1.WebhookEndpoint{Url: url, Enabled: true}
			if types != "" {
				ep.EventTypes = strings.Split(types, ",")
			}
			resp, err := s.Connections.CreateWebhookEndpoint(ctx, &connectionv1.CreateWebhookEndpointRequest{WebhookEndpoint: ep, RequestId: requestID})
			if err != nil {
				return err
			}
			secret := resp.GetWebhookEndpoint().GetSecret()
			if !s.out.json {
				resp.GetWebhookEndpoint().Secret = "" // printed below, once
			}
			return s.withSecret(resp, "webhook_endpoint", "Signing secret (verify the Millwright-Signature header with it)", secret)
		},
	}
}

func webhooksDelete() apiCommand {
	return apiCommand{
		help: "delete a webhook endpoint",
		args: []string{"<endpoint>"},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Connections.DeleteWebhookEndpoint(ctx, &connectionv1.DeleteWebhookEndpointRequest{WebhookEndpoint: args[0]})
			if err != nil {
				return err
			}
			if s.out.json {
				return s.out.jsonLine(resp)
			}
			_, err = fmt.Fprintf(s.out.w, "Deleted webhook endpoint %s.\n", args[0])
			return err
		},
	}
}

func webhooksDeliveries() apiCommand {
	var page pageFlags
	return apiCommand{
		help:  "list an endpoint's deliveries with their attempts",
		args:  []string{"<endpoint>"},
		flags: func(fs *flag.FlagSet) { page.define(fs) },
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := page.list(ctx, method(s.Connections.ListWebhookDeliveries), &connectionv1.ListWebhookDeliveriesRequest{WebhookEndpoint: args[0]})
			if err != nil {
				return err
			}
			return s.out.list(resp, "webhook_deliveries", "id", "event_type", "event", "state", "next_attempt_time", "create_time")
		},
	}
}

func webhooksRetry() apiCommand {
	return apiCommand{
		help: "deliver a delivery again now",
		args: []string{"<endpoint>", "<delivery>"},
		run: func(ctx context.Context, s *session, args []string) error {
			resp, err := s.Connections.RetryWebhookDelivery(ctx, &connectionv1.RetryWebhookDeliveryRequest{WebhookEndpoint: args[0], Delivery: args[1]})
			if err != nil {
				return err
			}
			return s.out.one(resp, "webhook_delivery")
		},
	}
}
