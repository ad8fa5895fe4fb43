package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/millwright-dev/millwright/services/platform/envflag"
)

func init() {
	register("admin", "administer accounts: create-account, set-credits", admin)
}

func admin(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		if len(args) > 0 {
			fmt.Fprintln(out, "millwright admin create-account --name NAME [--credits N] | set-credits --account ID --credits N")
			return nil
		}
		return usagef("which action? millwright admin create-account --name NAME [--credits N] | set-credits --account ID --credits N")
	}
	var e env
	var name, account string
	var credits int
	fs := envflag.NewSet("admin " + args[0])
	e.common.define(fs)
	switch args[0] {
	case "create-account":
		fs.String(&name, "name", "", "the account's name")
		fs.Int(&credits, "credits", 20, "the account's credit limit")
	case "set-credits":
		fs.String(&account, "account", "", "the account's id")
		fs.Int(&credits, "credits", -1, "the new credit limit")
	default:
		return usagef("unknown action %q: want create-account or set-credits", args[0])
	}
	if err := parse(fs, args[1:], errOut); err != nil {
		return err
	}
	log, err := e.logger(os.Stderr)
	if err != nil {
		return usageError{err.Error()}
	}
	e.log = log
	if e.key, err = e.common.key(e.databaseURL == ""); err != nil {
		return err
	}
	var cl closers
	defer cl.close()
	conn, err := e.connectionService(ctx, &cl)
	if err != nil {
		return err
	}
	switch args[0] {
	case "create-account":
		if name == "" {
			return usagef("--name is required")
		}
		a, err := conn.CreateAccount(ctx, name, credits, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "account %s created with %d credits\nAPI key (shown only now): %s\n", a.ID, credits, a.APIKey)
	case "set-credits":
		if account == "" || credits < 0 {
			return usagef("--account and --credits (0 or more) are required")
		}
		if err := conn.SetCredits(ctx, account, credits); err != nil {
			return err
		}
		fmt.Fprintf(out, "account %s now has a limit of %d credits\n", account, credits)
	}
	return nil
}
