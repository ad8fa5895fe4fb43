package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/millwright-dev/millwright/services/platform/db"
	"github.com/millwright-dev/millwright/services/platform/envflag"
	"github.com/millwright-dev/millwright/services/platform/logging"
	"github.com/millwright-dev/millwright/services/platform/requestlog"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Default addresses.
const (
	defaultGatewayAddr    = "127.0.0.1:8080"
	defaultConnectionAddr = "127.0.0.1:9091"
	defaultEntityAddr     = "127.0.0.1:9092"
	defaultSyncAddr       = "127.0.0.1:9093"
)

// common is the configuration every component shares.
type common struct {
	dataDir     string
	databaseURL string
	secretKey   string
	logLevel    string
	logFormat   string
	grace       time.Duration
	private     bool
	maxConns    int
	plugins     string
	publicURL   string
}

func (c *common) define(fs *envflag.Set) {
	fs.String(&c.dataDir, "data-dir", ".millwright", "directory of the SQLite files (and, in dev, the generated secret key and demo API key)")
	fs.String(&c.databaseURL, "database-url", "", "postgres:// URL of a PostgreSQL database to use instead of SQLite")
	fs.String(&c.secretKey, "secret-key", "", "64 hex digits: the master key that encrypts credentials and signs page tokens (dev makes one in the data directory)")
	fs.String(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.String(&c.logFormat, "log-format", "text", "text or json")
	fs.Duration(&c.grace, "shutdown-grace", 10*time.Second, "how long running calls may take to finish on SIGINT/SIGTERM")
	fs.Int(&c.maxConns, "database-max-conns", 10, "most PostgreSQL connections each service keeps open")
	fs.String(&c.plugins, "connector-plugins", "", "comma-separated paths of external connector binaries for the entity service to start (see docs/writing-a-connector.md)")
	fs.String(&c.publicURL, "public-url", "", "the gateway's public base URL, which link sessions' URLs start with (default: http:// and the gateway's address)")
	fs.Bool(&c.private, "allow-private-networks", false, "let connectors and webhooks reach private, loopback and link-local addresses (dev sets it true)")
}

// addrs are the services' gRPC addresses.
type addrs struct {
	connection string
	entity     string
	sync       string
}

func (a *addrs) define(fs *envflag.Set) {
	fs.String(&a.connection, "connection-addr", defaultConnectionAddr, "gRPC address of the connection service")
	fs.String(&a.entity, "entity-addr", defaultEntityAddr, "gRPC address of the entity service")
	fs.String(&a.sync, "sync-addr", defaultSyncAddr, "gRPC address of the sync service")
}

// gatewayFlags configure the REST gateway.
type gatewayFlags struct {
	addr         string
	rateLimit    float64
	rateBurst    int
	maxBodyBytes int
}

func (g *gatewayFlags) define(fs *envflag.Set) {
	fs.String(&g.addr, "gateway-addr", defaultGatewayAddr, "HTTP address of the REST gateway")
	fs.Float(&g.rateLimit, "rate-limit", 1000, "requests per second one credential may make through the gateway (0: no limit)")
	fs.Int(&g.rateBurst, "rate-burst", 2000, "requests one credential may make at once before the rate limit applies")
	fs.Int(&g.maxBodyBytes, "max-body-bytes", 1<<20, "largest request body the gateway accepts")
}

func parse(fs *envflag.Set, args []string, errOut io.Writer) error {
	fs.SetOutput(errOut)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func (c *common) logger(w io.Writer) (*slog.Logger, error) {
	return logging.New(w, c.logLevel, c.logFormat)
}

// key returns the master key: the flag, or in dev the one kept in the data
// directory (made on first start).
func (c *common) key(dev bool) (secret.Key, error) {
	if c.secretKey != "" {
		return secret.ParseKey(c.secretKey)
	}
	if !dev {
		return secret.Key{}, usagef("--secret-key (MILLWRIGHT_SECRET_KEY) is required: 64 hex digits, for example from 'openssl rand -hex 32'")
	}
	path := filepath.Join(c.dataDir, "secret-key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
			return secret.Key{}, err
		}
		k := secret.NewKey()
		if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
			return secret.Key{}, err
		}
		return secret.ParseKey(k)
	}
	if err != nil {
		return secret.Key{}, err
	}
	return secret.ParseKey(strings.TrimSpace(string(b)))
}

// open opens and migrates one service's database, its request log
// included.
func (c *common) open(ctx context.Context, name string, migrations fs.FS) (*db.DB, error) {
	d, err := db.Open(ctx, db.Options{URL: c.databaseURL, DataDir: c.dataDir, Name: name, MaxConns: int32(c.maxConns)})
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx, migrations); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := requestlog.Migrate(ctx, d); err != nil {
		d.Close()
		return nil, fmt.Errorf("%s: request log: %w", name, err)
	}
	return d, nil
}
