package config

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// fuzzEnv holds distinctive values, so a test can tell when one leaks.
var fuzzEnv = map[string]string{
	"PARLEY_TELEGRAM_TOKEN":  "123456789:AAEsecretSECRETsecretSECRETsecret12",
	"PARLEY_DB_PASSWORD":     "pw-S3CRET-db",
	"PARLEY_WEBHOOK_SECRET":  "S3CRET-webhook",
	"PARLEY_SLACK_BOT_TOKEN": "xoxb-S3CRET",
	"EMPTY":                  "",
}

func fuzzLookup(name string) (string, bool) {
	v, ok := fuzzEnv[name]
	return v, ok
}

// leaked returns an environment value that out shows although in did not
// hold it.
func leaked(in, out string) string {
	for _, v := range fuzzEnv {
		if v != "" && strings.Contains(out, v) && !strings.Contains(in, v) {
			return v
		}
	}
	return ""
}

// commented matches the example file's commented-out settings.
var commented = regexp.MustCompile(`(?m)^# ([a-z_]+ = |\[)`)

// FuzzParse parses any text as a configuration: it never panics, it
// returns a Config or Errors (never both, never neither), and no problem
// message shows the value of an environment variable the text referred
// to.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add(commented.ReplaceAllString(string(example), "$1"))
	f.Add(minimal)
	f.Add("[telegram]\ntoken = \"${PARLEY_TELEGRAM_TOKEN}\"\nmode = \"webhook\"\n[telegram.webhook]\nsecret = \"${PARLEY_WEBHOOK_SECRET}\"\n")
	f.Add("[telegram]\ntoken = \"${PARLEY_TELEGRAM_TOKEN}\"\n[store]\ndsn = \"postgres://parley:${PARLEY_DB_PASSWORD}@db/parley\"\n[dispatch]\nrun_length = 99999999999999999999\n")
	f.Add("[telegram]\ntoken = \"${PARLEY_TELEGRAM_TOKEN:-x}\"\nwelcome_message = '$${literal} ${UNSET} ${9bad} ${'\n[channels.slack]\nbot_token = 42\n[[channels.x]]\n")
	f.Add("[telegram]\ntoken = \"${PARLEY_TELEGRAM_TOKEN}\"\n[channels.desk]\nplugin = \"webhook\"\nsecret = { a = [\"${PARLEY_SLACK_BOT_TOKEN}\", 1.5e308, 1979-05-27T07:32:00Z] }\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse("parley.toml", []byte(text), fuzzLookup)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c != nil, err)
		}
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Parse error %T %v is not Errors", err, err)
			}
			if v := leaked(text, err.Error()); v != "" {
				t.Fatalf("problem shows the value %q: %v", v, err)
			}
		}
	})
}

// FuzzExpand expands ${...} references in any string: it never panics,
// errors never show a variable's value, a string without "${" comes back
// unchanged, and "$${" is always a literal "${".
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"${PARLEY_TELEGRAM_TOKEN}", "postgres://parley:${PARLEY_DB_PASSWORD}@db/parley",
		"${UNSET:-fallback} and ${EMPTY:-default}", "$${PARLEY_DB_PASSWORD}", "$$${PARLEY_DB_PASSWORD}",
		"${", "${}", "${9x}", "${A B}", "${PARLEY_WEBHOOK_SECRET:-${nested}}", "price: $5, ${UNSET} ${ALSO_UNSET}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := expand(s, fuzzLookup)
		if err != nil {
			if out != "" {
				t.Fatalf("expand(%q) failed (%v) but returned %q", s, err, out)
			}
			if v := leaked(s, err.Error()); v != "" {
				t.Fatalf("expand(%q) error shows the value %q: %v", s, v, err)
			}
			return
		}
		if !strings.Contains(s, "${") && out != s {
			t.Fatalf("expand(%q) = %q, want it unchanged", s, out)
		}
		if lit, err := expand("$$"+"{"+s, fuzzLookup); err == nil && !strings.HasPrefix(lit, "${") {
			t.Fatalf("expand(%q) = %q does not start with the literal", "$${"+s, lit)
		}
	})
}
