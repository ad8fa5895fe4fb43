// Package pagetoken makes the opaque page tokens of List methods. A token
// seals a keyset cursor with AES-GCM, bound to the list it belongs to (its
// parent, filter and order), so it can be neither read, forged, nor reused
// on another list.
package pagetoken

import (
	"encoding/base64"
	"encoding/json"

	"github.com/millwright-dev/millwright/services/platform/apierr"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

// Codec seals and opens page tokens.
type Codec struct{ key secret.Key }

// New returns a codec whose key is derived from the master key.
func New(master secret.Key) Codec { return Codec{key: master.Derive("page-token")} }

// Encode seals cursor for the list identified by scope.
func (c Codec) Encode(scope string, cursor any) (string, error) {
	plain, err := json.Marshal(cursor)
	if err != nil {
		return "", err
	}
	sealed, err := c.key.Seal(plain, []byte(scope))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decode opens a token into cursor. A token that was not made by Encode for
// the same scope gets INVALID_ARGUMENT naming page_token.
func (c Codec) Decode(scope, token string, cursor any) error {
	bad := apierr.InvalidFields(apierr.FieldViolation{Field: "page_token", Description: "is not a page token of this list; pass next_page_token of the previous page unchanged, with the same filter and order"})
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return bad
	}
	plain, err := c.key.Open(sealed, []byte(scope))
	if err != nil {
		return bad
	}
	if err := json.Unmarshal(plain, cursor); err != nil {
		return bad
	}
	return nil
}

// PageSize clamps a requested page size: 0 means def, more than max means max,
// negative is an error.
func PageSize(requested, def, max int32) (int, error) {
	switch {
	case requested < 0:
		return 0, apierr.InvalidFields(apierr.FieldViolation{Field: "page_size", Description: "must not be negative"})
	case requested == 0:
		return int(def), nil
	case requested > max:
		return int(max), nil
	}
	return int(requested), nil
}

// Page trims rows, fetched with a limit of size+1, to one page and returns
// the next page's token (the cursor of the page's last row, sealed for
// scope), or "" when rows is the last page.
func Page[R, C any](c Codec, scope string, rows []R, size int, cursor func(R) C) ([]R, string, error) {
	if len(rows) <= size {
		return rows, "", nil
	}
	rows = rows[:size]
	next, err := c.Encode(scope, cursor(rows[size-1]))
	return rows, next, err
}
