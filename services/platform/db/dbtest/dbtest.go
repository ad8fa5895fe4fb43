// Package dbtest gives each test its own database: a fresh SQLite file, and
// a fresh PostgreSQL schema when TEST_DATABASE_URL is set. Without it the
// PostgreSQL half skips with a loud message, except under CI=true, where a
// missing database fails the test.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/millwright-dev/millwright/services/platform/db"
)

// Each runs fn once per dialect, each with a fresh, migrated database.
func Each(t *testing.T, migrations fs.FS, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t, migrations)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t, migrations)) })
}

// SQLite returns a migrated database in a fresh file.
func SQLite(t testing.TB, migrations fs.FS) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), db.Options{DataDir: t.TempDir(), Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	migrate(t, d, migrations)
	return d
}

// PostgresURL returns TEST_DATABASE_URL, skipping (or, under CI=true,
// failing) the test when it is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set, and CI=true requires the PostgreSQL tests to run")
		}
		t.Skip("SKIPPING POSTGRESQL TEST: set TEST_DATABASE_URL=postgres://... to run it")
	}
	return url
}

// Postgres returns a migrated database in a fresh schema, dropped after the
// test.
func Postgres(t testing.TB, migrations fs.FS) *db.DB {
	t.Helper()
	url := PostgresURL(t)
	schema := "test_" + randomHex()
	d, err := db.Open(context.Background(), db.Options{URL: url, Name: schema, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		DropSchema(url, schema)
	})
	migrate(t, d, migrations)
	return d
}

// NewSchemaName returns a fresh schema name for a test that opens the
// database itself (through the binary, say); DropSchema removes it.
func NewSchemaName() string { return "test_" + randomHex() }

// DropSchema drops a test schema.
func DropSchema(url, schema string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
}

func migrate(t testing.TB, d *db.DB, migrations fs.FS) {
	t.Helper()
	if migrations == nil {
		return
	}
	if err := d.Migrate(context.Background(), migrations); err != nil {
		t.Fatal(err)
	}
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Conns holds n connections of d's pool at once, so that each is a
// different one, and closes them when the test ends.
func Conns(t testing.TB, d *db.DB, n int) []*sql.Conn {
	t.Helper()
	conns := make([]*sql.Conn, 0, n)
	for range n {
		c, err := d.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	return conns
}
