// Package config decodes a channel's config table into the plugin's own
// struct, checked against the keys the plugin declares in Describe.
//
// A plugin declares its keys once, as []sdk.ConfigKey, and names them in
// struct tags:
//
//	type Config struct {
//		Token   string        `config:"token"`
//		APIURL  *url.URL      `config:"api_url"`
//		Timeout time.Duration `config:"timeout"`
//	}
//
// [Decode] applies each key's Default when the table lacks it, reports a
// missing Required key, a value of the wrong type and an unknown key (with
// "did you mean" when it looks like a typo), all at once, one
// sdk.ConfigError per key, so the operator fixes the table in one pass. The
// value of a Secret key never appears in an error.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
	"github.com/parley-dev/parley/sdk"
)

// Decode decodes raw (a ConfigureRequest's Config) into dst, a pointer to a
// struct whose fields name their key with a `config:"name"` tag (or, when
// there is none, a `json:"name"` tag; untagged fields are left alone).
//
// Field types and the values they accept:
//
//   - string: a JSON string.
//   - bool: true/false, or the strings "true"/"false".
//   - int, int64 (and the other integer kinds): a whole JSON number, or a
//     string holding one.
//   - float64: a JSON number, or a string holding one.
//   - time.Duration: a Go duration string such as "10s" or "1m30s"; not
//     negative.
//   - *url.URL: an absolute http or https URL.
//   - []string: a JSON array of strings; a default is split on commas.
//   - a pointer to any of these: nil when the key is absent and has no
//     default, so "absent" and "empty" can be told apart.
//
// A key absent from raw, or null, takes its declared Default (decoded as
// the text of a value of the field's type); a Required key that is absent,
// null or "" is an error. "" for a key of a non-string type reads as
// absent. The returned problems are in declaration order,
// unknown keys last; none means dst is filled. The error is for the
// plugin's own mistakes (dst not a pointer to a struct, a field of a type
// listed nowhere above, a tag naming an undeclared key): return it from
// Configure as is.
func Decode(raw json.RawMessage, keys []sdk.ConfigKey, dst any) ([]sdk.ConfigError, error) {
	fields, err := fieldsOf(dst, keys)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	var table map[string]json.RawMessage
	if err := json.Unmarshal(raw, &table); err != nil {
		return []sdk.ConfigError{{Message: "config is not a table of keys: " + err.Error()}}, nil
	}

	var problems []sdk.ConfigError
	add := func(k sdk.ConfigKey, msg string) {
		problems = append(problems, sdk.ConfigError{Key: k.Name, Message: msg})
	}
	for _, k := range keys {
		v, present := table[k.Name]
		if present && isNull(v) {
			present = false
		}
		if !present || isEmptyString(v) {
			if k.Required {
				add(k, "is required: "+describe(k))
				continue
			}
		}
		f, ok := fields[k.Name]
		if !ok {
			continue // declared but not decoded into dst: the plugin reads it elsewhere
		}
		if present && isEmptyString(v) && !isStringField(f.Type()) {
			present = false // "" for a number, duration or URL means "not set"
		}
		if !present {
			if k.Default == "" {
				continue
			}
			if err := setText(f, k.Default); err != nil {
				return nil, fmt.Errorf("config: default of key %q: %w", k.Name, err)
			}
			continue
		}
		if err := setJSON(f, v); err != nil {
			add(k, message(k, v, err))
		}
	}

	var unknown []string
	for name := range table {
		if !slices.ContainsFunc(keys, func(k sdk.ConfigKey) bool { return k.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		msg := "unknown key"
		if s := Suggest(name, keys); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		problems = append(problems, sdk.ConfigError{Key: name, Message: msg})
	}
	return problems, nil
}

// Suggest returns the declared key nearest to name by edit distance, or ""
// when none is within two edits or a third of name's length (so "tokn"
// suggests "token" but "colour" suggests nothing from "api_url").
func Suggest(name string, keys []sdk.ConfigKey) string {
	best, bestDist := "", -1
	lower := strings.ToLower(name)
	for _, k := range keys {
		d := levenshtein.ComputeDistance(lower, k.Name)
		if bestDist < 0 || d < bestDist || (d == bestDist && k.Name < best) {
			best, bestDist = k.Name, d
		}
	}
	if bestDist < 0 || (bestDist > 2 && bestDist > utf8.RuneCountInString(name)/3) {
		return ""
	}
	return best
}

// describe is the key's description for a "required" message, so the
// operator learns what to put there.
func describe(k sdk.ConfigKey) string {
	if k.Description == "" {
		return "set it in the channel's config table"
	}
	return k.Description
}

// message words a bad value; it quotes the value only when it is neither a
// secret nor a URL (URLs carry tokens in their paths and queries).
func message(k sdk.ConfigKey, v json.RawMessage, err error) string {
	if k.Secret {
		return err.Error()
	}
	var u *urlError
	if errors.As(err, &u) {
		return err.Error()
	}
	shown := string(v)
	if utf8.RuneCountInString(shown) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	return err.Error() + ", got " + shown
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	urlPtrType   = reflect.TypeFor[*url.URL]()
)

// fieldsOf maps each tagged field of dst to its key, checking the plugin's
// side of the contract.
func fieldsOf(dst any, keys []sdk.ConfigKey) (map[string]reflect.Value, error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: Decode needs a non-nil pointer to a struct, got %T", dst)
	}
	sv := rv.Elem()
	st := sv.Type()
	out := map[string]reflect.Value{}
	for i := range st.NumField() {
		sf := st.Field(i)
		name := sf.Tag.Get("config")
		if name == "" {
			name, _, _ = strings.Cut(sf.Tag.Get("json"), ",")
		}
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		if !slices.ContainsFunc(keys, func(k sdk.ConfigKey) bool { return k.Name == name }) {
			return nil, fmt.Errorf("config: field %s names key %q, which the plugin does not declare", sf.Name, name)
		}
		if !supported(sf.Type) {
			return nil, fmt.Errorf("config: field %s (key %q) has unsupported type %s", sf.Name, name, sf.Type)
		}
		out[name] = sv.Field(i)
	}
	return out, nil
}

func supported(t reflect.Type) bool {
	if t == urlPtrType || t == durationType {
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
		if t == durationType {
			return true
		}
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

// setJSON decodes one JSON value into f. Strings are accepted for numbers
// and booleans because operators write TOML and environment overrides
// arrive as text.
func setJSON(f reflect.Value, v json.RawMessage) error {
	t := f.Type()
	if t.Kind() == reflect.Pointer && t != urlPtrType {
		p := reflect.New(t.Elem())
		if err := setJSON(p.Elem(), v); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	if t.Kind() == reflect.Slice {
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			return errors.New("want a list of strings")
		}
		f.Set(reflect.ValueOf(list).Convert(t))
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return setText(f, s)
	}
	switch t {
	case durationType:
		return errors.New(`want a duration such as "10s" or "2m"`)
	case urlPtrType:
		return &urlError{}
	}
	switch t.Kind() {
	case reflect.String:
		return errors.New("want a string")
	case reflect.Bool:
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return errors.New("want true or false")
		}
		f.SetBool(b)
		return nil
	default: // numbers
		var n json.Number
		if json.Unmarshal(v, &n) != nil {
			return setText(f, "\x00") // reports the kind's "want ..." message
		}
		return setText(f, n.String())
	}
}

// urlError marks a bad URL, whose value is never quoted.
type urlError struct{ reason string }

func (e *urlError) Error() string {
	if e.reason == "" {
		return "want an absolute http or https URL"
	}
	return "want an absolute http or https URL (" + e.reason + ")"
}

// setText decodes a value's text (a JSON string or a declared Default).
func setText(f reflect.Value, s string) error {
	t := f.Type()
	switch {
	case t == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New(`want a duration such as "10s" or "2m"`)
		}
		if d < 0 {
			return errors.New("want a duration that is not negative")
		}
		f.SetInt(int64(d))
		return nil
	case t == urlPtrType:
		u, err := url.Parse(strings.TrimSpace(s))
		switch {
		case err != nil:
			return &urlError{reason: "it does not parse"}
		case u.Scheme != "http" && u.Scheme != "https":
			return &urlError{reason: "no http or https scheme"}
		case u.Host == "":
			return &urlError{reason: "no host"}
		}
		f.Set(reflect.ValueOf(u))
		return nil
	case t.Kind() == reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := setText(p.Elem(), s); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("want true or false")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return errors.New("want a whole number")
		}
		f.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return errors.New("want a whole number that is not negative")
		}
		f.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil {
			return errors.New("want a number")
		}
		f.SetFloat(n)
	case reflect.Slice:
		var list []string
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				list = append(list, part)
			}
		}
		f.Set(reflect.ValueOf(list).Convert(t))
	}
	return nil
}

func isStringField(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.String && t != durationType
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func isEmptyString(v json.RawMessage) bool {
	var s string
	return json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) == ""
}
