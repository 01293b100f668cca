package httpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/filelink"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// fakeChannel answers webhooks: a request with header X-Sig: good yields a
// reply, anything else a 401.
type fakeChannel struct{ sdk.Channel }

func (fakeChannel) HandleWebhook(_ context.Context, r sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	if r.HeaderValue("x-sig") != "good" {
		return sdk.WebhookResponse{Status: 401, Body: []byte("bad signature")}, nil
	}
	return sdk.WebhookResponse{Status: 200, Body: []byte(`{"ok":true}`), Replies: []sdk.Reply{
		{ConversationID: string(r.Body), ExternalID: "r1", Text: "hi"},
	}}, nil
}

type fakeChannels map[string]sdk.Channel

func (f fakeChannels) Channel(n string) (sdk.Channel, bool) { c, ok := f[n]; return c, ok }

type fakeReplies struct {
	mu     sync.Mutex
	stored []sdk.Reply
}

func (f *fakeReplies) CommitReplies(_ context.Context, _ string, rs []sdk.Reply) ([]store.ReplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		if r.ConversationID != "c1" {
			return nil, fmt.Errorf("conversation %q: %w", r.ConversationID, store.ErrUnknownConversation)
		}
	}
	f.stored = append(f.stored, rs...)
	out := make([]store.ReplyResult, len(rs))
	return out, nil
}

func newTestServer(t *testing.T, opener FileOpener) (*httptest.Server, *fakeReplies, *int) {
	t.Helper()
	replies := &fakeReplies{}
	notified := 0
	h := Handler(Config{
		Channels: fakeChannels{"desk": fakeChannel{}}, Replies: replies, Notify: func() { notified++ },
		Signer: filelink.New([]byte("key"), "", time.Hour), Files: opener, MaxBodyBytes: 64,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, replies, &notified
}

func post(t *testing.T, url, sig, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Sig", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestHooks(t *testing.T) {
	srv, replies, notified := newTestServer(t, nil)
	cases := []struct {
		name, path, sig, body string
		status                int
		stored                int
	}{
		{"stored then answered", "/hooks/desk", "good", "c1", 200, 1},
		{"bad signature", "/hooks/desk/events", "bad", "c1", 401, 0},
		{"unknown conversation", "/hooks/desk", "good", "nope", 422, 0},
		{"oversized body", "/hooks/desk", "good", strings.Repeat("x", 65), 413, 0},
		{"unknown channel", "/hooks/other", "good", "c1", 404, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(replies.stored)
			resp, body := post(t, srv.URL+tc.path, tc.sig, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			if got := len(replies.stored) - before; got != tc.stored {
				t.Fatalf("stored %d replies, want %d", got, tc.stored)
			}
		})
	}
	if *notified != 1 {
		t.Fatalf("dispatcher woken %d times, want 1", *notified)
	}
}

type fakeOpener map[string][]byte

func (f fakeOpener) Open(_ context.Context, id string) (io.ReadCloser, int64, error) {
	if id == "big" {
		return nil, 0, fmt.Errorf("getFile: %w", ErrFileTooLarge)
	}
	b, ok := f[id]
	if !ok {
		return nil, 0, errors.New("unknown file")
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func TestFiles(t *testing.T) {
	data := []byte("%PDF-1.7 exact bytes")
	srv, _, _ := newTestServer(t, fakeOpener{"f1": data})
	signer := filelink.New([]byte("key"), srv.URL, time.Hour)

	link := signer.Link(sdk.Attachment{FileRef: "f1", Name: "report é.pdf", MIMEType: "application/pdf"})
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("status %d, body %q", resp.StatusCode, got)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Fatalf("Content-Type = %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "report") {
		t.Fatalf("Content-Disposition = %q", cd)
	}
	// A customer's file must not run in this origin if a browser opens it.
	if csp := resp.Header.Get("Content-Security-Policy"); csp != "sandbox" {
		t.Errorf("Content-Security-Policy = %q, want sandbox", csp)
	}
	if xcto := resp.Header.Get("X-Content-Type-Options"); xcto != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", xcto)
	}

	for name, tc := range map[string]struct {
		url    string
		status int
	}{
		"tampered":  {link[:len(link)-2] + "xx", 404},
		"other key": {filelink.New([]byte("other"), srv.URL, time.Hour).Link(sdk.Attachment{FileRef: "f1"}), 404},
		"too large": {signer.Link(sdk.Attachment{FileRef: "big"}), 413},
		"gone":      {signer.Link(sdk.Attachment{FileRef: "missing"}), 502},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tc.status)
		}
	}
	expired := filelink.New([]byte("key"), srv.URL, time.Nanosecond)
	link = expired.Link(sdk.Attachment{FileRef: "f1"})
	time.Sleep(1100 * time.Millisecond) // expiry has one-second resolution
	resp, err = http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("expired link: status %d, want 410", resp.StatusCode)
	}
}
