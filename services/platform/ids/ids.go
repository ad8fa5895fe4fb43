// Package ids makes Millwright's resource ids: a short type prefix and a
// time-ordered UUIDv7 in lower-case base32, such as `conn_06bq2...`.
package ids

import (
	"encoding/base32"

	"github.com/google/uuid"
)

var encoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// New returns a new id with the prefix, for example New("conn").
// Ids of one prefix sort in the order they were made.
func New(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	return prefix + "_" + encoding.EncodeToString(u[:])
}
