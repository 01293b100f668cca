package webhookchannel_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// internalServer stands for a service inside the operator's network: it
// counts the requests that reach it.
func internalServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "internal secret")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// configuredWith is configured with hook run on the channel first.
func configuredWith(t *testing.T, extra map[string]any, hook func(*webhookchannel.Channel)) *webhookchannel.Channel {
	t.Helper()
	rcv := newReceiver(t, secret)
	ch := webhookchannel.New(webhookchannel.Options{})
	hook(ch)
	cfg := map[string]any{"url": rcv.URL, "secret": secret}
	for k, v := range extra {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{Config: raw})
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertConfigured(t, resp)
	return ch
}

// assertRefused checks err is the guard's permanent refusal and that
// nothing reached the internal server.
func assertRefused(t *testing.T, err error, hits *atomic.Int32) {
	t.Helper()
	plugintest.AssertPermanent(t, err)
	if !strings.Contains(err.Error(), "non-public address") || !strings.Contains(err.Error(), "allow_private_urls") {
		t.Errorf("error %q does not say why or how to allow it", err)
	}
	plugintest.AssertNoSecret(t, err.Error(), "token=abc")
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests", n)
	}
}

func TestOpenAttachmentRefusesLoopbackByDefault(t *testing.T) {
	internal, hits := internalServer(t)
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	for _, ref := range []string{
		internal.URL + "/file?token=abc",
		strings.Replace(internal.URL, "127.0.0.1", "localhost", 1) + "/file?token=abc", // a name, resolved to loopback
	} {
		_, _, err := ch.OpenAttachment(context.Background(), ref)
		assertRefused(t, err, hits)
	}
}

func TestOpenAttachmentRefusesMetadataAndPrivateAddresses(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	var none atomic.Int32
	// Refused at the dial, before any packet leaves: no server is needed.
	for _, ref := range []string{
		"http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://192.168.0.1:8080/",
		"http://100.64.0.1/", "http://0.0.0.0/", "http://[::1]:9/", "http://[fd00::1]/", "http://[fe80::1]/",
		"http://[::ffff:127.0.0.1]/", "http://224.0.0.1/",
	} {
		t.Run(ref, func(t *testing.T) {
			_, _, err := ch.OpenAttachment(context.Background(), ref)
			assertRefused(t, err, &none)
		})
	}
}

func TestOpenAttachmentRefusesRedirectToLoopback(t *testing.T) {
	internal, hits := internalServer(t)
	localhostURL := strings.Replace(internal.URL, "127.0.0.1", "localhost", 1)
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-ip":
			http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
		case "/to-name":
			http.Redirect(w, r, localhostURL+"/admin", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/ok":
			_, _ = io.WriteString(w, "public file")
		}
	}))
	defer public.Close()
	ch := configuredWith(t, nil, func(c *webhookchannel.Channel) {
		webhookchannel.TreatAsPublic(c, strings.TrimPrefix(public.URL, "http://"))
	})
	ctx := context.Background()

	// The stand-in public server itself is fetched...
	rc, _, err := ch.OpenAttachment(ctx, public.URL+"/ok")
	if err != nil {
		t.Fatalf("public file: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "public file" {
		t.Fatalf("public file read as %q", b)
	}
	// ...but none of its redirects into the operator's network are.
	for _, path := range []string{"/to-ip", "/to-name"} {
		_, _, err := ch.OpenAttachment(ctx, public.URL+path)
		assertRefused(t, err, hits)
	}
	_, _, err = ch.OpenAttachment(ctx, public.URL+"/to-file")
	plugintest.AssertPermanent(t, err)
}

func TestOpenAttachmentAllowPrivateURLs(t *testing.T) {
	internal, hits := internalServer(t)
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, map[string]any{"allow_private_urls": true})
	rc, _, err := ch.OpenAttachment(context.Background(), internal.URL+"/file")
	if err != nil {
		t.Fatalf("with allow_private_urls = true: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "internal secret" || hits.Load() != 1 {
		t.Errorf("read %q, %d requests", b, hits.Load())
	}
}

// The refusal stays permanent across the plugin boundary, so the host
// reports the file as not sent instead of retrying the reply; the same
// config through the real process fetches it once allowed.
func TestOpenAttachmentRefusalCrossesProcessBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	internal, hits := internalServer(t)
	rcv := newReceiver(t, secret)
	h := plugintest.ServeBinary(t, plugintest.BuildPlugin(t, "github.com/parley-dev/parley/plugins/webhook"))
	plugintest.AssertConfigured(t, h.Configure(t, map[string]any{"url": rcv.URL, "secret": secret}))
	_, _, err := h.Client.OpenAttachment(context.Background(), internal.URL+"/file")
	assertRefused(t, err, hits)

	plugintest.AssertConfigured(t, h.Configure(t, map[string]any{"url": rcv.URL, "secret": secret, "allow_private_urls": true}))
	rc, _, err := h.Client.OpenAttachment(context.Background(), internal.URL+"/file")
	if err != nil {
		t.Fatalf("with allow_private_urls = true: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "internal secret" {
		t.Errorf("read %q", b)
	}
}
