package cli

import (
	"context"
	"flag"
	"fmt"

	entityv1 "github.com/millwright-dev/millwright/gen/go/millwright/entity/v1"
)

func init() {
	registerAPI("systems", "list the systems Millwright connects to, or show one with its capabilities", map[string]func() apiCommand{"": systems})
}

func systems() apiCommand {
	var page pageFlags
	return apiCommand{
		help:  "list the systems, or show one (its credentials, settings and capability matrix)",
		args:  []string{"[system]"},
		flags: func(fs *flag.FlagSet) { page.define(fs) },
		run: func(ctx context.Context, s *session, args []string) error {
			if len(args) == 1 {
				resp, err := s.Entities.GetSystem(ctx, &entityv1.GetSystemRequest{System: args[0]})
				if err != nil {
					return err
				}
				if s.out.json {
					return s.out.jsonLine(resp)
				}
				sys := resp.GetSystem()
				fmt.Fprintf(s.out.w, "%s (%s): credit tier %d, %d credits per connection\n\n", sys.GetDisplayName(), sys.GetId(), sys.GetCreditTier(), sys.GetCredits())
				if err := s.out.list(sys, "credential_fields", "name", "required", "secret", "description"); err != nil {
					return err
				}
				fmt.Fprintln(s.out.w)
				if err := s.out.list(sys, "settings_fields", "name", "required", "description"); err != nil {
					return err
				}
				fmt.Fprintln(s.out.w)
				return s.out.list(sys, "capabilities", "collection", "operations", "create_required_fields")
			}
			resp, err := page.list(ctx, method(s.Entities.ListSystems), &entityv1.ListSystemsRequest{})
			if err != nil {
				return err
			}
			return s.out.list(resp, "systems", "id", "display_name", "credit_tier", "credits")
		},
	}
}
