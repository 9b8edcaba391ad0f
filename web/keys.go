package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile returns the keys in value when set; otherwise it reads the file
// dir/name, creating it with mode 0600 and one new key from generate when it
// does not exist. An existing file is never overwritten: a lost key would make
// every stored credential (or session) unreadable, so a bad file stops start-up.
// The second result reports whether a new file was written.
func KeyFile(value, dir, name string, generate func() (string, error)) (string, bool, error) {
	if strings.TrimSpace(value) != "" {
		return value, false, nil
	}
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		keys := strings.TrimSpace(string(b))
		if keys == "" {
			return "", false, fmt.Errorf("key file %s is empty; restore it or remove it to generate a new key", path)
		}
		return keys, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read key file %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("create data folder %s: %w", dir, err)
	}
	key, err := generate()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("create key file %s: %w", path, err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("write key file %s: %w", path, err)
	}
	return key, true, nil
}

// GenerateSessionKey returns a new base64 session key (64 random bytes).
func GenerateSessionKey() (string, error) {
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate session key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
