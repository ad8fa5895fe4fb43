// Package store keeps the sync service's data — settings, schedules,
// per-collection cursors and the runs table that is also its durable job
// queue — in SQLite or PostgreSQL.
package store

import "embed"

// Migrations are the schema migrations: migrations/<dialect>/*.sql.
//
//go:embed migrations
var Migrations embed.FS
