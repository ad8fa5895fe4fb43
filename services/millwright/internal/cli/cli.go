// Package cli is the millwright command: its subcommands, flags and
// environment variables. It only wires: the services do the work.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"sort"
	"syscall"

	millwright "github.com/millwright-dev/millwright/client"
)

// Version is set at build time.
var Version = "dev"

// Exit codes scripts can trust.
const (
	exitOK          = 0
	exitUsage       = 1 // a mistake in the command line, or a local failure
	exitAPI         = 2 // the API answered with an error
	exitUnreachable = 3 // the API did not answer
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, out, errOut io.Writer) error
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, out, errOut io.Writer) error) {
	commands[name] = command{summary: summary, run: run}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Main runs the command line and returns the process's exit code.
func Main(args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(out)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(errOut, "millwright: unknown command %q\n\n", args[0])
		printUsage(errOut)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return exitCode(cmd.run(ctx, args[1:], out, errOut), args[0], errOut)
}

// exitCode reports err on errOut and maps it to the exit code: the one
// place that decides how a command ends.
func exitCode(err error, name string, errOut io.Writer) int {
	var api *millwright.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &api) && unreachable(api):
		fmt.Fprintf(errOut, "error: cannot reach the API: %s\n", api.Message)
		return exitUnreachable
	case errors.As(err, &api):
		fmt.Fprintf(errOut, "error: %s: %s", api.Reason, api.Message)
		if api.RequestID != "" {
			fmt.Fprintf(errOut, " (request id %s)", api.RequestID)
		}
		fmt.Fprintln(errOut)
		return exitAPI
	default:
		fmt.Fprintf(errOut, "millwright %s: %v\n", name, err)
		return exitUsage
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "millwright — a unified API for industrial systems")
	fmt.Fprintln(w, "\nUsage: millwright <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'millwright <command> --help' for a command's flags; a flag listed with a MILLWRIGHT_* environment variable can also be set by it.")
}

func init() {
	register("version", "print the version", func(_ context.Context, _ []string, out, _ io.Writer) error {
		fmt.Fprintln(out, "millwright", Version)
		return nil
	})
}
