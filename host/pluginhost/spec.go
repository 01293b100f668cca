package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// BinaryPrefix starts the file name of every channel plugin executable.
const BinaryPrefix = "parley-channel-"

// Spec is one configured channel.
type Spec struct {
	// Name is the operator's name for the channel (the key under
	// [channels] in the config file); it names the hook path and logs.
	Name string
	// Plugin names the executable: <dir>/parley-channel-<Plugin>.
	Plugin string
	// SHA256 optionally pins the executable's checksum (hex, any case).
	SHA256 string
	// Config is the channel's own config table as a JSON object. It is the
	// only configuration the plugin ever sees.
	Config json.RawMessage
	// Env is added to the plugin's environment, which otherwise holds only
	// an allow-listed part of the host's (see pluginEnv). Names are POSIX
	// variable names.
	Env map[string]string
}

// pluginNamePattern keeps plugin names to plain file-name characters, so a
// spec can never point outside the plugins directory.
var pluginNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// envNamePattern is a POSIX environment variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate checks what can be checked without touching the disk.
func (s Spec) validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("%w: a channel has no name", ErrInvalidSpec)
	case s.Plugin == "":
		return fmt.Errorf("channel %q: %w: no plugin named", s.Name, ErrInvalidSpec)
	case !pluginNamePattern.MatchString(s.Plugin) || strings.Contains(s.Plugin, ".."):
		return fmt.Errorf("channel %q: %w: plugin name %q must be a plain name like \"slack\"", s.Name, ErrInvalidSpec, s.Plugin)
	}
	if _, err := s.pin(); err != nil {
		return fmt.Errorf("channel %q: %w", s.Name, err)
	}
	for name := range s.Env {
		if !envNamePattern.MatchString(name) {
			return fmt.Errorf("channel %q: %w: env name %q must be a variable name like MY_VAR", s.Name, ErrInvalidSpec, name)
		}
	}
	return nil
}

// pin returns the sha256 pin in lower-case hex, "" when there is none.
func (s Spec) pin() (string, error) {
	p := strings.ToLower(strings.TrimSpace(s.SHA256))
	if p == "" {
		return "", nil
	}
	if b, err := hex.DecodeString(p); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%w: sha256 pin must be %d hex digits", ErrInvalidSpec, 2*sha256.Size)
	}
	return p, nil
}

// binaryPath is where the spec's executable must be.
func binaryPath(dir string, s Spec) string {
	return filepath.Join(dir, BinaryPrefix+s.Plugin)
}

// checkBinary makes sure path is an executable file and returns its sha256.
func checkBinary(name, plugin, path string) (string, error) {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return "", fmt.Errorf("channel %q: %w: looked for %s (install plugin %q there, named %s%s)",
			name, ErrNotFound, path, plugin, BinaryPrefix, plugin)
	}
	if err != nil {
		return "", fmt.Errorf("channel %q: %w: %v", name, ErrNotFound, err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("channel %q: %w: %s is a directory", name, ErrNotExecutable, path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("channel %q: %w: %s has mode %s (chmod +x it)", name, ErrNotExecutable, path, fi.Mode().Perm())
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return "", fmt.Errorf("channel %q: %w: %v", name, ErrNotExecutable, err)
	}
	return sum, nil
}

// fileSHA256 is the hex sha256 of a file's contents.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hookURL is the public base URL of a channel's webhooks, "" without a
// public URL.
func hookURL(publicURL, channel string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/hooks/" + url.PathEscape(channel)
}
