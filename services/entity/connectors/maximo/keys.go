package maximo

import (
	"crypto/sha256"
	"encoding/base32"
	"regexp"
	"strings"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

// Remote ids are Maximo's business keys joined with "/" in Maximo's key
// order: "SITE/WONUM", "ITEMNUM/SITE/STOREROOM", "COMPANY". Maximo allows
// "/" (and "%") inside key values, so a key part escapes them as "%2F" and
// "%25"; keys without them read as they are.

// joinKey joins key parts into a remote id or link.
func joinKey(parts ...string) string {
	switch len(parts) {
	case 1:
		return connector.EscapeKey(parts[0])
	case 2:
		return connector.EscapeKey(parts[0]) + "/" + connector.EscapeKey(parts[1])
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = connector.EscapeKey(p)
	}
	return strings.Join(out, "/")
}

// splitKey splits a remote id or link into n unescaped, non-empty parts.
func splitKey(id string, n int) ([]string, bool) {
	parts := strings.Split(id, "/")
	if len(parts) != n {
		return nil, false
	}
	for i, p := range parts {
		if p = connector.UnescapeKey(p); p == "" || strings.ContainsRune(p, '"') {
			return nil, false
		}
		parts[i] = p
	}
	return parts, true
}

// link is the remote id of a record in a site, or "" when key is empty.
func link(site, key string) string {
	if key == "" {
		return ""
	}
	return joinKey(site, key)
}

// ref is the remote id of a record with a one-part key, or "".
func ref(key string) string { return connector.EscapeKey(key) }

var keyAlphabet = base32.StdEncoding

// derivedKey is the key of a record created with an idempotency key and no
// key of its own: "MW" and n-2 base32 characters of SHA-256(key), so that a
// retry creates the same key and finds the first record.
func derivedKey(idempotencyKey string, n int) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return "MW" + keyAlphabet.EncodeToString(sum[:])[:n-2]
}

var plainTxnID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,40}$`)

// transactionID is the transactionid header of an idempotency key: the key
// itself when it is short and plain, otherwise a digest of it (Maximo keeps
// transaction ids in a column of limited length).
func transactionID(idempotencyKey string) string {
	if plainTxnID.MatchString(idempotencyKey) {
		return idempotencyKey
	}
	sum := sha256.Sum256([]byte(idempotencyKey))
	return "mw-" + strings.ToLower(keyAlphabet.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:32])
}
