// Package store keeps the entity service's data — every connection's synced
// records and the idempotency records of writes — in SQLite or PostgreSQL.
package store

import "embed"

// Migrations are the schema migrations: migrations/<dialect>/*.sql.
//
//go:embed migrations
var Migrations embed.FS
