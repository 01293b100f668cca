package hipchatchannel

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/hashicorp/go-hclog"

	"github.com/parley-dev/parley/sdk"
)

const (
	fuzzSecret   = "s3cret-path-segment-0123"
	fuzzClientID = "5ab2b6d7-6d3f-4b42-9d3a-6a2f8e2d1c00"
	fuzzRoom     = int64(1147567)
)

var fuzzNow = time.Unix(1_767_225_600, 0)

// fuzzToken is a webhook JWT as HipChat makes it for an add-on.
func fuzzToken(key string, iat, exp time.Time, room any) string {
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": fuzzClientID, "sub": "1661743", "iat": iat.Unix(), "exp": exp.Unix(), "jti": "b1946ac92492d2347c62",
		"context": map[string]any{"room_id": room, "user_tz": "UTC"},
	}).SignedString([]byte(key))
	return tok
}

// FuzzGrammar reads any message with any valid bot mention: no panic; a
// reply has a positive handle and the text after it; and "#N text" always
// reads back as N and text.
func FuzzGrammar(f *testing.F) {
	for _, s := range []string{"#42 thanks, it ships today", "  #7: ok", "@parley #12 hi\nsecond line", "@Parley, #3 x",
		"#42abc", "#", "#0 zero", "#99999999999999999999 big", "hello #42", "@parley", "#12,\u00a0nbsp", "@parleyX #1 y"} {
		f.Add("parley", s, uint32(42), "text")
	}
	f.Add("", "#1", uint32(1), "")
	f.Add("K.bot", "@\u212a.bot #5 kelvin", uint32(5), ":,x")
	f.Fuzz(func(t *testing.T, mention, msg string, n uint32, text string) {
		if mention != "" && !mentionChars.MatchString(mention) {
			return
		}
		mention = strings.TrimPrefix(mention, "@")
		g := newGrammar(mention)
		v, num, rest := g.parse(msg)
		switch v {
		case ignore, malformed:
			if num != 0 || rest != "" {
				t.Fatalf("parse(%q) = %v with %d %q", msg, v, num, rest)
			}
		case reply:
			if num <= 0 || (utf8.ValidString(msg) && !utf8.ValidString(rest)) || !strings.Contains(msg, rest) {
				t.Fatalf("parse(%q) = reply %d %q", msg, num, rest)
			}
		default:
			t.Fatalf("parse(%q) = verdict %d", msg, v)
		}
		if n == 0 {
			return
		}
		want := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text), ":,"))
		if want != strings.TrimSpace(strings.TrimLeft(want, ":,")) {
			return // text that starts with ":" or "," after trimming is read as punctuation
		}
		line := "#" + strconv.FormatUint(uint64(n), 10) + " " + want
		if v, num, rest := g.parse(line); v != reply || num != int64(n) || rest != want {
			t.Fatalf("parse(%q) = %v %d %q, want reply %d %q", line, v, num, rest, n, want)
		}
		if mention != "" {
			line = "@" + mention + " " + line
			if v, num, rest := g.parse(line); v != reply || num != int64(n) || rest != want {
				t.Fatalf("parse(%q) = %v %d %q, want reply %d %q", line, v, num, rest, n, want)
			}
		}
	})
}

// FuzzJWT checks webhook JWTs: verifyJWT never panics on any token; a
// token signed with the secret verifies while fresh; it does not verify
// with another secret, expired, or with its header or claims changed.
func FuzzJWT(f *testing.F) {
	f.Add(fuzzToken(fuzzSecret, fuzzNow, fuzzNow.Add(5*time.Minute), fuzzRoom), uint16(10), byte('x'))
	f.Add(fuzzToken("not-the-secret", fuzzNow, fuzzNow.Add(5*time.Minute), "1147567"), uint16(0), byte('.'))
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ4In0.", uint16(40), byte('='))
	f.Add("a.b.c", uint16(1), byte(0))
	f.Fuzz(func(t *testing.T, token string, pos uint16, b byte) {
		c := New(Options{Now: func() time.Time { return fuzzNow }})
		if cl, err := c.verifyJWT(token, fuzzSecret); err == nil {
			if cl.ExpiresAt == nil {
				t.Fatalf("token %q without exp verifies", token)
			}
			if _, err := c.verifyJWT(token, "another-secret-0123456789"); err == nil {
				t.Fatalf("token %q verifies with another secret", token)
			}
		}

		good := fuzzToken(fuzzSecret, fuzzNow, fuzzNow.Add(5*time.Minute), fuzzRoom)
		if _, err := c.verifyJWT(good, fuzzSecret); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
		expired := fuzzToken(fuzzSecret, fuzzNow.Add(-time.Hour), fuzzNow.Add(-2*jwtLeeway), fuzzRoom)
		if _, err := c.verifyJWT(expired, fuzzSecret); err == nil {
			t.Fatal("expired token verifies")
		}
		i := int(pos) % len(good)
		if good[i] == b {
			b ^= 1
		}
		mutated := good[:i] + string([]byte{b}) + good[i+1:]
		if _, err := c.verifyJWT(mutated, fuzzSecret); err == nil {
			t.Fatalf("token with byte %d changed verifies: %q", i, mutated)
		}
	})
}

// FuzzWebhook sends any body to a configured channel, authenticated by
// the secret path or by a valid JWT: HandleWebhook never fails or panics,
// answers a valid status, and a reply it returns carries a positive
// handle and valid UTF-8.
func FuzzWebhook(f *testing.F) {
	msg := func(text string) string {
		return `{"event":"room_message","item":{"message":{"date":"2026-01-01T00:00:00.000000+00:00",` +
			`"from":{"id":1661743,"links":{"self":"https://hipchat.example/v2/user/1661743"},"mention_name":"Anna","name":"Anna Agent"},` +
			`"id":"00a3eb7f-fac5-496a-8d64-a9050c712ca1","mentions":[],"message":` + strconv.Quote(text) + `,"type":"message"},` +
			`"room":{"id":1147567,"links":{"self":"https://hipchat.example/v2/room/1147567"},"name":"Support"}},` +
			`"oauth_client_id":"` + fuzzClientID + `","webhook_id":578829}`
	}
	for _, body := range []string{
		msg("#42 thanks, it ships today"), msg("@parley #7 hi"), msg("#abc"), msg("hello team"),
		`{"event":"room_message","item":{"message":{"from":"Parley","message":"#1 notification","type":"notification"},"room":{"id":1147567}}}`,
		`{"event":"room_message","item":{"message":{"from":{"id":5},"message":"#3","file":{"name":"label.pdf","size":1234,"url":"https://hipchat.example/files/label.pdf"}},"room":{"id":0,"name":""}}}`,
		`{"event":"room_enter","item":{"room":{"id":1147567}}}`,
		`{"event":"room_message","item":{"message":{"from":{"id":"x"}}}}`,
		`not json`,
	} {
		f.Add([]byte(body), "/"+fuzzSecret, false, "")
		f.Add([]byte(body), "", true, "")
	}
	f.Add([]byte(msg("#5 via query")), "", false, "signed_request=x.y.z&x=%zz")
	f.Fuzz(func(t *testing.T, body []byte, path string, useJWT bool, query string) {
		c := New(Options{Now: func() time.Time { return fuzzNow }})
		c.state.Set(&state{cfg: config{Room: strconv.FormatInt(fuzzRoom, 10), WebhookSecret: fuzzSecret, BotMention: "parley"},
			log: hclog.NewNullLogger(), matcher: newGrammar("parley")})
		req := sdk.WebhookRequest{Method: http.MethodPost, Path: path, RawQuery: query, Body: body, Header: map[string][]string{}}
		if useJWT {
			req.Header["Authorization"] = []string{"JWT " + fuzzToken(fuzzSecret, fuzzNow, fuzzNow.Add(time.Minute), fuzzRoom)}
		}
		resp, err := c.HandleWebhook(context.Background(), req)
		if err != nil {
			t.Fatalf("HandleWebhook: %v", err)
		}
		if resp.Status < 200 || resp.Status > 599 {
			t.Fatalf("status %d", resp.Status)
		}
		for _, r := range resp.Replies {
			if n, err := strconv.ParseInt(string(r.ThreadRef), 10, 64); err != nil || n <= 0 {
				t.Fatalf("reply with handle %q", r.ThreadRef)
			}
			if !utf8.ValidString(r.Text) || !utf8.ValidString(r.Author) {
				t.Fatalf("reply %+v", r)
			}
		}
	})
}

// A JWT has one spelling: changing only the spare bits of the signature's
// last base64 character (which lenient decoders ignore) must not verify.
func TestJWTSignatureHasOneSpelling(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	c := New(Options{Now: func() time.Time { return fuzzNow }})
	good := fuzzToken(fuzzSecret, fuzzNow, fuzzNow.Add(5*time.Minute), fuzzRoom)
	last := strings.IndexByte(alphabet, good[len(good)-1])
	// An HS256 signature is 32 bytes: 43 characters, the last with 2 spare bits.
	twin := good[:len(good)-1] + string(alphabet[last^1])
	if _, err := c.verifyJWT(twin, fuzzSecret); err == nil {
		t.Fatalf("a token differing only in spare bits verifies: %q", twin)
	}
}
