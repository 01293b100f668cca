package config_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/config"
)

var keys = []sdk.ConfigKey{
	{Name: "token", Description: "API token", Required: true, Secret: true},
	{Name: "api_url", Description: "API base URL", Default: "https://api.example.com/v1/"},
	{Name: "timeout", Default: "10s"},
	{Name: "upload_files", Default: "false"},
	{Name: "max_retries", Default: "3"},
	{Name: "prefix", Default: "//"},
	{Name: "tags", Default: "a, b"},
	{Name: "channel", Required: true},
}

type cfg struct {
	Token       string        `config:"token"`
	APIURL      *url.URL      `config:"api_url"`
	Timeout     time.Duration `config:"timeout"`
	UploadFiles bool          `config:"upload_files"`
	MaxRetries  int           `config:"max_retries"`
	Prefix      *string       `config:"prefix"`
	Tags        []string      `config:"tags"`
	Channel     string        `json:"channel"`
	Ignored     string
}

func decode(t *testing.T, raw string) (cfg, []sdk.ConfigError) {
	t.Helper()
	var c cfg
	errs, err := config.Decode(json.RawMessage(raw), keys, &c)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return c, errs
}

func TestDecodeAppliesDefaults(t *testing.T) {
	c, errs := decode(t, `{"token":"s3cret","channel":"C1"}`)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if c.Token != "s3cret" || c.Channel != "C1" || c.APIURL.String() != "https://api.example.com/v1/" ||
		c.Timeout != 10*time.Second || c.UploadFiles || c.MaxRetries != 3 || c.Prefix == nil || *c.Prefix != "//" ||
		!slices.Equal(c.Tags, []string{"a", "b"}) {
		t.Fatalf("decoded %+v", c)
	}
}

func TestDecodeValuesOfEveryType(t *testing.T) {
	c, errs := decode(t, `{"token":"t","channel":"C1","api_url":"http://127.0.0.1:8080/x","timeout":"1m30s",
		"upload_files":true,"max_retries":"5","prefix":"","tags":["x"]}`)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if c.APIURL.Host != "127.0.0.1:8080" || c.Timeout != 90*time.Second || !c.UploadFiles || c.MaxRetries != 5 ||
		c.Prefix == nil || *c.Prefix != "" || !slices.Equal(c.Tags, []string{"x"}) {
		t.Fatalf("decoded %+v", c)
	}
	// TOML booleans and numbers arrive typed; strings are accepted too.
	c, errs = decode(t, `{"token":"t","channel":"C1","upload_files":"true","max_retries":7,"timeout":""}`)
	if len(errs) != 0 || !c.UploadFiles || c.MaxRetries != 7 || c.Timeout != 10*time.Second {
		t.Fatalf("decoded %+v, errors %v", c, errs)
	}
}

func TestDecodeReportsEveryProblemAtOnce(t *testing.T) {
	_, errs := decode(t, `{"token":"","api_url":"ftp://x","timeout":"soon","upload_files":"yes",
		"max_retries":2.5,"tags":"x","chanel":"C1","colour":"red"}`)
	got := map[string]string{}
	var order []string
	for _, e := range errs {
		got[e.Key] = e.Message
		order = append(order, e.Key)
	}
	want := []string{"token", "api_url", "timeout", "upload_files", "max_retries", "tags", "channel", "chanel", "colour"}
	if !slices.Equal(order, want) {
		t.Fatalf("keys %v, want %v (errors %v)", order, want, errs)
	}
	for key, sub := range map[string]string{
		"token":        "is required: API token",
		"api_url":      "http or https",
		"timeout":      `want a duration such as "10s"`,
		"upload_files": "want true or false",
		"max_retries":  "want a whole number",
		"tags":         "list of strings",
		"channel":      "is required",
		"chanel":       `unknown key; did you mean "channel"?`,
	} {
		if !strings.Contains(got[key], sub) {
			t.Errorf("%s: %q, want it to contain %q", key, got[key], sub)
		}
	}
	if got["colour"] != "unknown key" {
		t.Errorf("colour: %q, want no suggestion", got["colour"])
	}
	if !strings.Contains(got["timeout"], `got "soon"`) {
		t.Errorf("timeout: %q should show the bad value", got["timeout"])
	}
}

func TestDecodeNeverShowsSecretsOrURLs(t *testing.T) {
	_, errs := decode(t, `{"token":12345678,"channel":"C1","api_url":"https://user:pw@/hook?key=topsecret"}`)
	if len(errs) != 2 {
		t.Fatalf("errors %v, want token and api_url", errs)
	}
	for _, e := range errs {
		for _, secret := range []string{"12345678", "topsecret", "pw"} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("%q shows %q", e.Error(), secret)
			}
		}
	}
}

func TestDecodeBadTable(t *testing.T) {
	_, errs := decode(t, `[1,2]`)
	if len(errs) != 1 || errs[0].Key != "" || !strings.Contains(errs[0].Message, "not a table") {
		t.Fatalf("errors %v", errs)
	}
	// An empty table is only missing its required keys.
	_, errs = decode(t, ``)
	if len(errs) != 2 {
		t.Fatalf("errors %v, want token and channel", errs)
	}
}

func TestDecodePluginMistakes(t *testing.T) {
	var c cfg
	if _, err := config.Decode(nil, keys, c); err == nil {
		t.Error("a struct value, not a pointer: no error")
	}
	var undeclared struct {
		X string `config:"x"`
	}
	if _, err := config.Decode(nil, keys, &undeclared); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("undeclared key: %v", err)
	}
	var unsupported struct {
		M map[string]string `config:"token"`
	}
	if _, err := config.Decode(nil, keys, &unsupported); err == nil {
		t.Error("unsupported type: no error")
	}
	bad := []sdk.ConfigKey{{Name: "timeout", Default: "ten"}}
	var d struct {
		T time.Duration `config:"timeout"`
	}
	if _, err := config.Decode(nil, bad, &d); err == nil {
		t.Error("bad default: no error")
	}
}

func TestSuggest(t *testing.T) {
	for name, want := range map[string]string{"tokn": "token", "API_URL": "api_url", "upload_file": "upload_files", "colour": ""} {
		if got := config.Suggest(name, keys); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", name, got, want)
		}
	}
}
