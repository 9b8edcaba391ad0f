package store

import (
	"strings"
	"unicode/utf8"
)

// storable reports whether s can be kept as text by every backend: valid
// UTF-8 without NUL bytes. PostgreSQL refuses both; SQLite would keep them,
// so the store applies one rule to both.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// cleanText makes s storable: each invalid byte sequence and each NUL
// becomes U+FFFD, so free text from outside (an upstream error message, a
// typed reason) is kept, marked where it was damaged, rather than refused.
func cleanText(s string) string {
	if storable(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
