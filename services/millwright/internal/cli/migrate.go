package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/millwright-dev/millwright/services/connection"
	"github.com/millwright-dev/millwright/services/entity"
	"github.com/millwright-dev/millwright/services/platform/envflag"
	syncsvc "github.com/millwright-dev/millwright/services/sync"
)

func init() {
	register("migrate", "apply the database migrations of every service (or of those named)", migrate)
}

var migrations = map[string]fs.FS{
	connection.Name: connection.Migrations,
	entity.Name:     entity.Migrations,
	syncsvc.Name:    syncsvc.Migrations,
}

func migrate(ctx context.Context, args []string, out, errOut io.Writer) error {
	var c common
	fs := envflag.NewSet("migrate")
	c.define(fs)
	if err := parse(fs, args, errOut); err != nil {
		return err
	}
	names := fs.Args()
	if len(names) == 0 {
		names = []string{connection.Name, entity.Name, syncsvc.Name}
	}
	for _, name := range names {
		m, ok := migrations[name]
		if !ok {
			return usagef("no service %q: want connection, entity or sync", name)
		}
		d, err := c.open(ctx, name, m)
		if err != nil {
			return err
		}
		d.Close()
		fmt.Fprintf(out, "%s: migrated\n", name)
	}
	return nil
}
