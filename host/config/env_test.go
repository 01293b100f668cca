package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestChannelEnvIsExpandedAndItsSecretsRedacted(t *testing.T) {
	c := mustParse(t, minimal+`
[channels.desk]
plugin = "webhook"
env = { DESK_API_TOKEN = "${DESK_TOKEN}", DESK_REGION = "eu", DESK_HOST = "${DESK_HOST}", DESK_KEY = "literal-key" }
[channels.other]
plugin = "webhook"
`, map[string]string{"DESK_TOKEN": "tok-from-env", "DESK_HOST": "desk.internal"})
	want := map[string]string{"DESK_API_TOKEN": "tok-from-env", "DESK_REGION": "eu", "DESK_HOST": "desk.internal", "DESK_KEY": "literal-key"}
	if got := c.Channels[0].Env; !maps.Equal(got, want) {
		t.Errorf("env = %v, want %v", got, want)
	}
	if c.Channels[1].Env != nil {
		t.Errorf("a channel without env got %v", c.Channels[1].Env)
	}
	secrets := c.Secrets()
	for _, s := range []string{"tok-from-env", "desk.internal", "literal-key"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets() lacks env value %q: %q", s, secrets)
		}
	}
	// A literal under a plain name is not a secret: redacting "eu" would
	// mangle every log line.
	if slices.Contains(secrets, "eu") {
		t.Errorf("Secrets() holds the literal, non-secret value \"eu\"")
	}
}

func TestChannelEnvProblems(t *testing.T) {
	tests := []struct {
		name, env, key, message string
	}{
		{"not a table", `env = "X=1"`, "channels.desk.env", "must be a table of strings, not a string"},
		{"not a string", `env = { X = 1 }`, "channels.desk.env.X", "must be a string, not an integer"},
		{"bad name", `env = { "1X" = "a" }`, "channels.desk.env.1X", `"1X" is not an environment variable name`},
		{"handshake name", `env = { PLUGIN_MIN_PORT = "1" }`, "channels.desk.env.PLUGIN_MIN_PORT", "is set by the host"},
		{"unset variable", `env = { X = "${NOPE}" }`, "channels.desk.env.X", "environment variable NOPE is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseProblems(t, minimal+"[channels.desk]\nplugin = \"webhook\"\n"+tt.env+"\n", nil)
			if len(errs) != 1 || errs[0].Key != tt.key || !strings.Contains(errs[0].Message, tt.message) || errs[0].Line != 5 {
				t.Errorf("problems = %+v, want one at line 5 key %s: %s", errs, tt.key, tt.message)
			}
		})
	}
}
