// Package store keeps the service's data in SQLite or PostgreSQL.
package store

import "embed"

// Migrations are the schema migrations: migrations/<dialect>/*.sql.
//
//go:embed migrations
var Migrations embed.FS
