package config

import (
	"errors"
	"strings"
	"testing"
)

const testToken = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// env returns a LookupFunc over a fixed map.
func env(vars map[string]string) LookupFunc {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// minimal is the smallest valid file; tests append to it.
const minimal = `[telegram]
token = "` + testToken + `"
`

// parseProblems parses text that must be invalid and returns its problems.
func parseProblems(t *testing.T, text string, vars map[string]string) Errors {
	t.Helper()
	c, err := Parse("parley.toml", []byte(text), env(vars))
	if err == nil {
		t.Fatalf("Parse accepted invalid config: %+v", c)
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error is %T (%v), want config.Errors", err, err)
	}
	return errs
}

func TestParseReportsProblem(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		vars    map[string]string
		line    int
		key     string
		message string // substring of Message
		fix     string // substring of Fix
	}{
		{
			name:    "missing variable",
			text:    "[telegram]\n# the bot\ntoken = \"${PARLEY_TOKEN}\"\n",
			line:    3,
			key:     "telegram.token",
			message: "environment variable PARLEY_TOKEN is not set",
			fix:     "${PARLEY_TOKEN:-value}",
		},
		{
			name:    "missing variables in a plugin table",
			text:    minimal + "[channels.desk]\nplugin = \"webhook\"\n[channels.desk.config]\nurl = \"https://x\"\nsecret = \"${A}-${B}\"\n",
			line:    7,
			key:     "channels.desk.config.secret",
			message: "environment variables A, B are not set",
		},
		{
			name:    "unterminated reference",
			text:    "[telegram]\ntoken = \"${PARLEY_TOKEN\"\n",
			line:    2,
			key:     "telegram.token",
			message: `unterminated "${"`,
		},
		{
			name:    "unknown key suggests the nearest",
			text:    minimal + "\n# comment\nwelcom_message = \"hi\"\n",
			line:    5,
			key:     "telegram.welcom_message",
			message: "unknown key",
			fix:     `did you mean "welcome_message"?`,
		},
		{
			name: "unknown key is case-sensitive",
			text: minimal + "Mode = \"webhook\"\n",
			line: 3, key: "telegram.Mode", message: "unknown key", fix: `did you mean "mode"?`,
		},
		{
			name: "unknown section",
			text: minimal + "[dispatc]\nconcurrency = 2\n",
			line: 3, key: "dispatc", message: "unknown key", fix: `did you mean "dispatch"?`,
		},
		{
			name: "section key above its section",
			text: "token = \"x\"\n[telegram]\n",
			line: 1, key: "token", message: "unknown key", fix: "move it under [telegram]",
		},
		{
			name: "unknown channel key",
			text: minimal + "[channels.desk]\nplugn = \"webhook\"\n",
			line: 4, key: "channels.desk.plugn", message: "unknown key", fix: `did you mean "plugin"?`,
		},
		{
			name: "unknown key far from any lists the valid ones",
			text: minimal + "[server]\nbananas = 1\n",
			line: 4, key: "server.bananas", message: "unknown key", fix: "valid keys here: listen, max_body_bytes, public_url",
		},
		{
			name: "bad mode",
			text: minimal + "mode = \"push\"\n",
			line: 3, key: "telegram.mode", message: `must be "polling" or "webhook", not "push"`,
		},
		{
			name: "webhook mode without public url",
			text: minimal + "mode = \"webhook\"\n",
			line: 3, key: "server.public_url", message: `required when telegram.mode is "webhook"`,
		},
		{
			name: "missing token",
			text: "[log]\nlevel = \"debug\"\n",
			line: 0, key: "telegram.token", message: "is required",
		},
		{
			name: "bad sha256",
			text: minimal + "[channels.desk]\nplugin = \"webhook\"\nsha256 = \"abc123\"\n",
			line: 5, key: "channels.desk.sha256", message: "64 hexadecimal characters",
		},
		{
			name: "bad duration",
			text: minimal + "poll_timeout = \"30 seconds\"\n",
			line: 3, key: "telegram.poll_timeout", message: `invalid duration "30 seconds"`,
		},
		{
			name: "duration given as a number",
			text: minimal + "[files]\nlink_ttl = 3600\n",
			line: 4, key: "files.link_ttl", message: "must be a duration, not an integer",
		},
		{
			name: "string where an integer belongs",
			text: minimal + "[dispatch]\nconcurrency = \"many\"\n",
			line: 4, key: "dispatch.concurrency", message: `must be a whole number, not "many"`,
		},
		{
			name: "run length beyond one call's size",
			text: minimal + "[dispatch]\nrun_length = 500\n",
			line: 4, key: "dispatch.run_length", message: "must be between 1 and 128",
		},
		{
			name: "channel limit above the global one",
			text: minimal + "[dispatch]\nconcurrency = 8\nchannel_concurrency = 9\n",
			line: 5, key: "dispatch.channel_concurrency", message: "must be between 0 (automatic) and dispatch.concurrency",
		},
		{
			name: "section that is not a table",
			text: "log = \"debug\"\n" + minimal,
			line: 1, key: "log", message: "must be a table, not a string",
		},
		{
			name: "bad listen address",
			text: minimal + "[admin]\nlisten = \"9090\"\n",
			line: 4, key: "admin.listen", message: "not a host:port address",
		},
		{
			name: "allowed host with a scheme",
			text: minimal + "[admin]\nallowed_hosts = [\"https://status.example.com\"]\n",
			line: 4, key: "admin.allowed_hosts", message: `"https://status.example.com" is not a host name`,
		},
		{
			name: "allowed hosts not an array",
			text: minimal + "[admin]\nallowed_hosts = \"status.example.com\"\n",
			line: 4, key: "admin.allowed_hosts", message: "must be an array of strings, not a string",
		},
		{
			name: "short admin token",
			text: minimal + "[admin]\ntoken = \"hunter2\"\n",
			line: 4, key: "admin.token", message: "too short",
		},
		{
			name: "relative public url",
			text: minimal + "[server]\npublic_url = \"parley.example.com\"\n",
			line: 4, key: "server.public_url", message: "absolute http or https URL",
		},
		{
			name: "bad store driver",
			text: minimal + "[store]\ndriver = \"mysql\"\n",
			line: 4, key: "store.driver", message: `not "mysql"`,
		},
		{
			name: "bad channel name",
			text: minimal + "[channels.Help-Desk]\nplugin = \"webhook\"\n",
			line: 3, key: "channels.Help-Desk", message: "invalid channel name",
		},
		{
			name: "channel without plugin",
			text: minimal + "[channels.desk]\nenabled = true\n",
			line: 3, key: "channels.desk.plugin", message: "is required",
		},
		{
			name: "channel config that is not a table",
			text: minimal + "[channels.desk]\nplugin = \"webhook\"\nconfig = \"url=x\"\n",
			line: 5, key: "channels.desk.config", message: "must be a table",
		},
		{
			name: "syntax error",
			text: minimal + "[server]\nmax_body_bytes = 12abc\n",
			line: 4, message: "invalid TOML",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseProblems(t, tt.text, tt.vars)
			for _, p := range errs {
				if p.Key == tt.key && strings.Contains(p.Message, tt.message) {
					if p.Line != tt.line {
						t.Errorf("line = %d, want %d (%s)", p.Line, tt.line, p)
					}
					if !strings.Contains(p.Fix, tt.fix) {
						t.Errorf("fix = %q, want it to contain %q", p.Fix, tt.fix)
					}
					if p.File != "parley.toml" {
						t.Errorf("file = %q, want parley.toml", p.File)
					}
					return
				}
			}
			t.Fatalf("no problem with key %q and message %q in:\n%v", tt.key, tt.message, errs)
		})
	}
}

func TestBadTokenIsNotPrinted(t *testing.T) {
	for _, tok := range []string{
		"123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ", // trailing space copied along
		"123456:short-secret",
		"bot123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		errs := parseProblems(t, "[telegram]\ntoken = \"${TOK}\"\n", map[string]string{"TOK": tok})
		msg := errs.Error()
		if !strings.Contains(msg, "telegram.token: does not look like a bot token") {
			t.Errorf("token %q: want a bad-token problem, got:\n%s", tok, msg)
		}
		if strings.Contains(msg, strings.TrimSpace(tok)) || strings.Contains(msg, "short-secret") {
			t.Errorf("problem report leaks the token:\n%s", msg)
		}
	}
}

func TestSyntaxErrorDoesNotEchoToken(t *testing.T) {
	errs := parseProblems(t, "[telegram]\ntoken = "+testToken+"\n", nil)
	if msg := errs.Error(); strings.Contains(msg, testToken[7:]) {
		t.Fatalf("syntax error leaks the token:\n%s", msg)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	text := `[telegram]
token = "nope"
mode = "carrier-pigeon"

[server]
listn = "127.0.0.1:8080"

[channels.desk]
sha256 = "xyz"

[channels.desk.config]
secret = "${DESK_SECRET}"
`
	errs := parseProblems(t, text, nil)
	want := []string{
		`parley.toml:2: telegram.token: does not look like a bot token (`,
		`parley.toml:3: telegram.mode: must be "polling" or "webhook", not "carrier-pigeon"`,
		`parley.toml:6: server.listn: unknown key (did you mean "listen"?)`,
		`parley.toml:8: channels.desk.plugin: is required (`,
		`parley.toml:9: channels.desk.sha256: must be 64 hexadecimal characters (`,
		`parley.toml:12: channels.desk.config.secret: environment variable DESK_SECRET is not set (`,
	}
	lines := strings.Split(errs.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

// TestLinesSurviveTrickyTOML checks that keys are located correctly after
// constructs whose contents look like keys.
func TestLinesSurviveTrickyTOML(t *testing.T) {
	text := minimal + `welcome_message = """
mode = "nope"
[server]
"""
[channels.desk]
plugin = 'webhook'
"config" = { nested = { x = 1 }, list = [
  "b = c", # plugn = 1
  { y = '''
z = 1''' },
] }
plugn = "x"
channels.other.plugin = "y"
[channels."odd.name"]
plugin = "z"
`
	errs := parseProblems(t, text, nil)
	got := map[string]int{}
	for _, p := range errs {
		got[p.Key] = p.Line
	}
	want := map[string]int{
		"channels.desk.plugn":    14,
		"channels.desk.channels": 15,
		`channels."odd.name"`:    16,
	}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("%s at line %d, want %d (all: %v)", k, got[k], line, errs)
		}
	}
}
