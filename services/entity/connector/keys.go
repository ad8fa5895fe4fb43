package connector

import "strings"

var (
	keyEscaper   = strings.NewReplacer("%", "%25", "/", "%2F")
	keyUnescaper = strings.NewReplacer("%2F", "/", "%2f", "/", "%25", "%")
)

// EscapeKey escapes one part of a compound remote id joined with "/"
// (SITE/1044, Material/Plant/StorageLocation): "%" and "/" become %25 and
// %2F.
func EscapeKey(s string) string {
	if !strings.ContainsAny(s, "/%") {
		return s
	}
	return keyEscaper.Replace(s)
}

// UnescapeKey reverses EscapeKey.
func UnescapeKey(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return keyUnescaper.Replace(s)
}
