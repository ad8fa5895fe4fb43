// Package secret makes and checks Millwright's secrets: API keys and tokens
// (random, stored only as hashes, compared in constant time) and the
// encryption of connected systems' credentials at rest (AES-256-GCM).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Prefixes of the credentials Millwright issues.
const (
	AccountKeyPrefix      = "mw_sk_"
	ConnectionTokenPrefix = "mw_ct_"
	WebhookSecretPrefix   = "whsec_"
	LinkSecretPrefix      = "mw_ls_"
	LinkCodePrefix        = "mw_lc_"
)

var encoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewToken returns prefix followed by 32 random bytes as 52 lower-case
// letters and digits.
func NewToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + encoding.EncodeToString(b)
}

// WellFormed reports whether token has the prefix and at least 32 letters or
// digits after it, and nothing else.
func WellFormed(token, prefix string) bool {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) < 32 || len(rest) > 256 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Hash is the stored form of a token: hex SHA-256. Tokens carry 256 bits of
// entropy, so a fast hash is as strong as a slow one here.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Equal compares two strings in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Key is a 32-byte master key, from MILLWRIGHT_SECRET_KEY.
type Key [32]byte

// ParseKey reads a key given as 64 hex digits.
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != len(k) {
		return k, errors.New("secret key must be 64 hex digits (32 bytes)")
	}
	copy(k[:], b)
	return k, nil
}

// NewKey returns a random key as 64 hex digits.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Derive returns a sub-key for one purpose, so that one master key serves
// encryption, page tokens and internal credentials without reuse.
func (k Key) Derive(purpose string) Key {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(purpose))
	var out Key
	copy(out[:], m.Sum(nil))
	return out
}

// Seal encrypts plaintext with AES-256-GCM; additional data binds the
// ciphertext to its owner (for example the connection id).
func (k Key) Seal(plaintext, additional []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, additional), nil
}

// Open decrypts what Seal returned.
func (k Key) Open(sealed, additional []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed data too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], additional)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return plain, nil
}

// MAC returns the HMAC-SHA256 of data under the key.
func (k Key) MAC(data []byte) []byte {
	m := hmac.New(sha256.New, k[:])
	m.Write(data)
	return m.Sum(nil)
}

func (k Key) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
