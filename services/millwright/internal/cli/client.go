package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	millwright "github.com/millwright-dev/millwright/client"
	"github.com/millwright-dev/millwright/services/platform/envflag"
)

// defaultTarget is the public gRPC address of `millwright dev`.
const defaultTarget = "127.0.0.1:9090"

// apiFlags are the flags every API command shares.
type apiFlags struct {
	target string
	apiKey string
	tls    string
	output string
}

func (a *apiFlags) define(fs *envflag.Set) {
	fs.String(&a.target, "target", defaultTarget, "gRPC address of the Millwright API (host:port)")
	fs.String(&a.apiKey, "api-key", "", "credential: an account API key (mw_sk_...) or, for records and sync, a connection token (mw_ct_...)")
	fs.String(&a.tls, "tls", "auto", "auto (plaintext to a loopback target, TLS elsewhere), on or off")
	fs.String(&a.output, "output", "table", "table or json (the API's JSON with proto field names)")
}

// session is what an API command works with: the SDK client, the printer
// of its results and where progress goes.
type session struct {
	*millwright.Client
	out      printer
	progress io.Writer
}

func (a *apiFlags) open(ctx context.Context, out, errOut io.Writer) (*session, error) {
	if a.apiKey == "" {
		return nil, usagef("no credential: set MILLWRIGHT_API_KEY or --api-key")
	}
	if a.output != "table" && a.output != "json" {
		return nil, usagef("--output %q: want table or json", a.output)
	}
	opts := []millwright.Option{millwright.WithAPIKey(a.apiKey)}
	switch a.tls {
	case "off":
		opts = append(opts, millwright.WithInsecure())
	case "on":
	case "auto":
		if loopback(a.target) {
			opts = append(opts, millwright.WithInsecure())
		}
	default:
		return nil, usagef("--tls %q: want auto, on or off", a.tls)
	}
	c, err := millwright.New(ctx, a.target, opts...)
	if err != nil {
		return nil, usagef("--target %q: %v", a.target, err)
	}
	return &session{Client: c, out: printer{w: out, json: a.output == "json"}, progress: errOut}, nil
}

// loopback reports whether target (host:port) names this machine.
func loopback(target string) bool {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// unreachable reports whether err says the API itself did not answer (no
// route, connection refused, a proxy in between without the service), as
// opposed to an error the API returned.
func unreachable(err *millwright.Error) bool {
	return err.Domain != millwright.Domain && (err.Code == codes.Unavailable || err.Code == codes.DeadlineExceeded)
}

// apiCommand is one action of an API command, "connections get" say.
type apiCommand struct {
	args  []string               // positional arguments, "[x]" when optional
	flags func(fs *flag.FlagSet) // the action's own flags (no environment variables), if any
	run   func(ctx context.Context, s *session, args []string) error
	help  string // one line
}

// registerAPI registers an API command. With one action named "" the
// command takes no action word (millwright systems); otherwise the first
// argument names the action (millwright connections list).
func registerAPI(name, summary string, actions map[string]func() apiCommand) {
	register(name, summary, func(ctx context.Context, args []string, out, errOut io.Writer) error {
		if _, single := actions[""]; single {
			return runAPI(ctx, name, actions[""](), args, out, errOut)
		}
		names := slices.Sorted(maps.Keys(actions))
		usage := fmt.Sprintf("millwright %s %s", name, strings.Join(names, "|"))
		if len(args) == 0 {
			return usagef("which action? %s", usage)
		}
		if args[0] == "--help" || args[0] == "-h" {
			fmt.Fprintln(out, usage)
			for _, n := range names {
				c := actions[n]()
				fmt.Fprintf(out, "  %-13s %s\n", n, c.help)
			}
			fmt.Fprintf(out, "Run 'millwright %s <action> --help' for an action's arguments and flags.\n", name)
			return nil
		}
		mk, ok := actions[args[0]]
		if !ok {
			return usagef("unknown action %q: %s", args[0], usage)
		}
		return runAPI(ctx, name+" "+args[0], mk(), args[1:], out, errOut)
	})
}

func runAPI(ctx context.Context, name string, c apiCommand, args []string, out, errOut io.Writer) error {
	var api apiFlags
	fs := envflag.NewSet(name)
	api.define(fs)
	shared := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { shared[f.Name] = true })
	if c.flags != nil {
		c.flags(fs.FlagSet)
	}
	fs.FlagSet.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "%s: %s\n", strings.Join(append([]string{"millwright", name}, c.args...), " "), c.help)
		fs.PrintUsage()
		fs.VisitAll(func(f *flag.Flag) {
			if !shared[f.Name] {
				fmt.Fprintf(w, "  --%s (default %q)\n      %s\n", f.Name, f.DefValue, f.Usage)
			}
		})
	}
	pos, err := parseInterspersed(fs, args, errOut)
	if err != nil {
		return err
	}
	required := 0
	for _, a := range c.args {
		if !strings.HasPrefix(a, "[") {
			required++
		}
	}
	if len(pos) < required || len(pos) > len(c.args) {
		return usagef("want %s, got %d argument(s); see 'millwright %s --help'", strings.Join(c.args, " "), len(pos), name)
	}
	s, err := api.open(ctx, out, errOut)
	if err != nil {
		return err
	}
	defer s.Close()
	return c.run(ctx, s, pos)
}

// parseInterspersed parses flags wherever they are among the positional
// arguments (records list CONN workOrders --filter ...) and returns the
// positional ones. The environment applies once, so a flag given on the
// command line always wins.
func parseInterspersed(fs *envflag.Set, args []string, errOut io.Writer) ([]string, error) {
	if err := parse(fs, args, errOut); err != nil {
		return nil, err
	}
	var pos []string
	for rest := fs.Args(); len(rest) > 0; rest = fs.Args() {
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		if err := fs.FlagSet.Parse(rest[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
	}
	return pos, nil
}

// isTerminal reports whether w is a terminal, where progress redraws one
// line instead of printing a line per change.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// rpc is one unary method of the API with its types erased, so one pager
// serves every List.
type rpc func(ctx context.Context, req proto.Message) (proto.Message, error)

func method[Req, Resp proto.Message](f func(context.Context, Req, ...grpc.CallOption) (Resp, error)) rpc {
	return func(ctx context.Context, req proto.Message) (proto.Message, error) { return f(ctx, req.(Req)) }
}

// pageFlags are the flags of a List command.
type pageFlags struct {
	size  int
	token string
	all   bool
}

func (p *pageFlags) define(fs *flag.FlagSet) {
	fs.IntVar(&p.size, "page-size", 0, "items per page (0: the server's default)")
	fs.StringVar(&p.token, "page-token", "", "the page to print: the token a previous page printed")
	fs.BoolVar(&p.all, "all", false, "fetch every page and print them as one list")
}

// list calls a List method once or, with --all, for every page, and
// returns one response holding every item.
func (p pageFlags) list(ctx context.Context, call rpc, req proto.Message) (proto.Message, error) {
	setField(req, "page_size", protoreflect.ValueOfInt32(int32(p.size)))
	setField(req, "page_token", protoreflect.ValueOfString(p.token))
	var all proto.Message
	for {
		resp, err := call(ctx, req)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = resp
		} else {
			proto.Merge(all, resp) // appends the items
		}
		next := resp.ProtoReflect().Descriptor().Fields().ByName("next_page_token")
		token := resp.ProtoReflect().Get(next).String()
		if !p.all {
			return all, nil
		}
		if token == "" {
			all.ProtoReflect().Clear(next)
			return all, nil
		}
		setField(req, "page_token", protoreflect.ValueOfString(token))
	}
}
