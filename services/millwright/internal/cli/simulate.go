package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/millwright-dev/millwright/services/platform/envflag"
	lbsim "github.com/millwright-dev/millwright/simulators/limble"
	mxsim "github.com/millwright-dev/millwright/simulators/maintainx"
	"github.com/millwright-dev/millwright/simulators/maximo"
	nssim "github.com/millwright-dev/millwright/simulators/netsuite"
	sapsim "github.com/millwright-dev/millwright/simulators/sap"
)

func init() {
	register("simulate", "run a simulator of a connected system's API: "+strings.Join(simulatorNames(), ", "), simulate)
}

// simulator is one system's simulator, configured from flags.
type simulator struct {
	addr string
	// define adds the simulator's flags and returns the function that
	// builds it once they are parsed.
	define func(fs *envflag.Set) func() simulated
}

// simulated is a built simulator: its handler and the settings and
// credentials that connect Millwright to it at a base URL.
type simulated struct {
	handler    http.Handler
	connection func(baseURL string) (settings, credentials map[string]string)
}

var simulators = map[string]simulator{
	"limble": {addr: "127.0.0.1:9605", define: func(fs *envflag.Set) func() simulated {
		cfg := lbsim.DefaultConfig()
		fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated plant and credentials")
		fs.IntVar(&cfg.Tasks, "tasks", cfg.Tasks, "tasks (work orders) to seed")
		fs.IntVar(&cfg.Assets, "assets", cfg.Assets, "assets to seed")
		fs.IntVar(&cfg.PurchaseOrders, "purchase-orders", cfg.PurchaseOrders, "purchase orders to seed")
		fs.IntVar(&cfg.Parts, "parts", cfg.Parts, "parts to seed")
		fs.IntVar(&cfg.GetPerMinute, "get-per-minute", cfg.GetPerMinute, "GETs per minute before 429 (0 = 360, negative = none)")
		fs.IntVar(&cfg.GetPerHour, "get-per-hour", cfg.GetPerHour, "GETs per hour before 429 (0 = 4000, negative = none)")
		fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "latency added to every request")
		return func() simulated {
			s := lbsim.New(cfg)
			return simulated{handler: s, connection: s.Connection}
		}
	}},
	"maintainx": {addr: "127.0.0.1:9604", define: func(fs *envflag.Set) func() simulated {
		cfg := mxsim.DefaultConfig()
		fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated plant and API key")
		fs.IntVar(&cfg.WorkOrders, "work-orders", cfg.WorkOrders, "work orders to seed")
		fs.IntVar(&cfg.Assets, "assets", cfg.Assets, "assets to seed")
		fs.IntVar(&cfg.PurchaseOrders, "purchase-orders", cfg.PurchaseOrders, "purchase orders to seed")
		fs.IntVar(&cfg.Parts, "parts", cfg.Parts, "parts to seed")
		fs.IntVar(&cfg.RateLimit, "rate-limit", cfg.RateLimit, "requests per minute before 429 (0 = 10000, negative = none)")
		fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "latency added to every request")
		return func() simulated {
			s := mxsim.New(cfg)
			return simulated{handler: s, connection: s.Connection}
		}
	}},
	"maximo": {addr: "127.0.0.1:9601", define: func(fs *envflag.Set) func() simulated {
		cfg := maximo.DefaultConfig()
		fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated plant and credentials")
		fs.IntVar(&cfg.WorkOrders, "work-orders", cfg.WorkOrders, "work orders to seed")
		fs.IntVar(&cfg.Assets, "assets", cfg.Assets, "assets to seed")
		fs.IntVar(&cfg.PurchaseOrders, "purchase-orders", cfg.PurchaseOrders, "purchase orders to seed")
		fs.IntVar(&cfg.Items, "items", cfg.Items, "items to seed")
		fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "latency added to every request")
		return func() simulated {
			s := maximo.New(cfg)
			return simulated{handler: s, connection: s.Connection}
		}
	}},
	"sap": {addr: "127.0.0.1:9602", define: func(fs *envflag.Set) func() simulated {
		cfg := sapsim.DefaultConfig()
		fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated plant and credentials")
		fs.IntVar(&cfg.MaintenanceOrders, "maintenance-orders", cfg.MaintenanceOrders, "maintenance orders (work orders) to seed")
		fs.IntVar(&cfg.Equipment, "equipment", cfg.Equipment, "pieces of equipment (assets) to seed")
		fs.IntVar(&cfg.PurchaseOrders, "purchase-orders", cfg.PurchaseOrders, "purchase orders to seed")
		fs.IntVar(&cfg.Products, "products", cfg.Products, "spare parts (products) to seed")
		fs.IntVar(&cfg.PageSize, "page-size", cfg.PageSize, "server-side page size (__next beyond it)")
		fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "latency added to every request")
		return func() simulated {
			s := sapsim.New(cfg)
			return simulated{handler: s, connection: s.Connection}
		}
	}},
	"netsuite": {addr: "127.0.0.1:9603", define: func(fs *envflag.Set) func() simulated {
		cfg := nssim.DefaultConfig()
		fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the generated account and its token")
		fs.IntVar(&cfg.PurchaseOrders, "purchase-orders", cfg.PurchaseOrders, "purchase orders to seed")
		fs.IntVar(&cfg.Items, "items", cfg.Items, "inventory items to seed")
		fs.IntVar(&cfg.Vendors, "vendors", cfg.Vendors, "vendors to seed")
		fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "requests served at once before 429 (0 = 5, negative = no limit)")
		fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "latency added to every request")
		return func() simulated {
			s := nssim.New(cfg)
			return simulated{handler: s, connection: s.Connection}
		}
	}},
}

func simulatorNames() []string {
	names := make([]string, 0, len(simulators))
	for n := range simulators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// connectionLine is what simulate prints: the body of POST /v1/connections.
type connectionLine struct {
	System      string            `json:"system"`
	Settings    map[string]string `json:"settings"`
	Credentials map[string]string `json:"credentials"`
}

func simulate(ctx context.Context, args []string, out, errOut io.Writer) error {
	if len(args) == 0 || simulators[args[0]].define == nil {
		return usagef("which system? millwright simulate %s [--addr HOST:PORT]", strings.Join(simulatorNames(), "|"))
	}
	name := args[0]
	sim := simulators[name]
	var addr string
	fs := envflag.NewSet("simulate " + name)
	fs.StringVar(&addr, "addr", sim.addr, "address to listen on")
	build := sim.define(fs)
	if err := parse(fs, args[1:], errOut); err != nil {
		return err
	}
	s := build()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	settings, creds := s.connection("http://" + lis.Addr().String())
	line, _ := json.Marshal(connectionLine{System: name, Settings: settings, Credentials: creds})
	fmt.Fprintln(out, string(line))
	srv := &http.Server{Handler: s.handler}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(lis); err != http.ErrServerClosed {
		return err
	}
	return nil
}
