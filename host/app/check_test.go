package app

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/config"
)

// checkOutput runs `parley check` on a config with the given [admin]
// table; Telegram is unreachable and no channel is set, so it reports
// problems, but the admin warning must be there or not regardless.
func checkOutput(t *testing.T, adminTable string) string {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`[telegram]
token = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
api_url = "http://127.0.0.1:1"
[store]
dsn = %q
[plugins]
dir = %q
[admin]
%s
`, filepath.Join(dir, "parley.db"), dir, adminTable)
	cfg, err := config.Parse("parley.toml", []byte(text), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	_ = Check(ctx, cfg, &out)
	return out.String()
}

func TestCheckWarnsAboutAnOpenAdminListener(t *testing.T) {
	out := checkOutput(t, `listen = "0.0.0.0:9090"`)
	if !strings.Contains(out, "WARN  admin.listen 0.0.0.0:9090 is not loopback and admin.token is not set") ||
		!strings.Contains(out, "fix: set [admin] token") {
		t.Errorf("check of a network admin listener without a token:\n%s", out)
	}
	for _, table := range []string{`listen = "127.0.0.1:9090"`, `listen = "[::1]:9090"`,
		"listen = \"0.0.0.0:9090\"\ntoken = \"0123456789abcdef0123\""} {
		if out := checkOutput(t, table); strings.Contains(out, "WARN") {
			t.Errorf("check with [admin] %s warns:\n%s", table, out)
		}
	}
}
