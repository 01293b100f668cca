package plugintest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/grpcplugin"
)

// ConformanceOptions tells [RunConformance] how to drive one channel.
type ConformanceOptions struct {
	// ValidConfig is a config table (anything that marshals to a JSON
	// object) that Configure accepts; it points the channel at the test's
	// fake desk.
	ValidConfig any
	// BadSignatureRequest builds a webhook request whose signature is
	// wrong. Nil skips the webhook checks (for channels without webhooks).
	BadSignatureRequest func() sdk.WebhookRequest
	// ValidWebhookRequest, when set, builds a correctly signed request that
	// carries one agent reply in the thread threadRef.
	ValidWebhookRequest func(threadRef []byte) sdk.WebhookRequest
	// HangingConfig, when set, is a config whose desk never answers: the
	// suite checks a delivery then ends when its context does.
	HangingConfig any
	// SkipKinds lists sample message IDs the channel is not expected to
	// deliver ("sample-poll").
	SkipKinds []string
}

// nameRE is what a channel name must look like: it becomes the binary's
// suffix and the /hooks/<name> path.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// promptly is how long a call may take after its context ended.
const promptly = 2 * time.Second

// RunConformance runs the checks every channel must pass, each a subtest.
// Subtests run in order and share the harness: Configure with ValidConfig
// runs before the deliveries.
func RunConformance(t *testing.T, h *Harness, opts ConformanceOptions) {
	t.Helper()
	var desc sdk.DescribeResponse
	var threadRef []byte
	t.Run("Describe", func(t *testing.T) { desc = checkDescribe(t, h) })
	t.Run("ConfigureEmpty", func(t *testing.T) { checkConfigureEmpty(t, h, desc) })
	t.Run("ConfigureValid", func(t *testing.T) { AssertConfigured(t, h.Configure(t, opts.ValidConfig)) })
	t.Run("DeliverNewLane", func(t *testing.T) { threadRef = checkNewLane(t, h) })
	t.Run("DeliverEveryKind", func(t *testing.T) { checkKinds(t, h, threadRef, opts) })
	if opts.BadSignatureRequest != nil {
		t.Run("WebhookBadSignature", func(t *testing.T) { checkBadSignature(t, h, opts) })
	}
	if opts.ValidWebhookRequest != nil {
		t.Run("WebhookValid", func(t *testing.T) { checkValidWebhook(t, h, threadRef, opts) })
	}
	t.Run("ContextCancellation", func(t *testing.T) { checkCancellation(t, h, threadRef, opts) })
	t.Run("GarbageInput", func(t *testing.T) { checkGarbage(t, h, threadRef, opts) })
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func checkDescribe(t *testing.T, h *Harness) sdk.DescribeResponse {
	d, err := h.Channel.Describe(ctxTimeout(t))
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if !nameRE.MatchString(d.Name) {
		t.Errorf("name %q does not match %s", d.Name, nameRE)
	}
	if d.Version == "" {
		t.Error("version is empty")
	}
	if v, err := h.Client.ProtocolVersion(ctxTimeout(t)); err != nil || v != grpcplugin.ProtocolVersion {
		t.Errorf("protocol version %d (%v), want %d", v, err, grpcplugin.ProtocolVersion)
	}
	switch d.Capabilities.Formatting {
	case "", sdk.FormattingPlain, sdk.FormattingHTML, sdk.FormattingMarkdown, sdk.FormattingSlackMrkdwn:
	default:
		t.Errorf("formatting %q is not one of plain, html, markdown, slack_mrkdwn", d.Capabilities.Formatting)
	}
	seen := map[string]bool{}
	for _, k := range d.ConfigKeys {
		switch {
		case k.Name == "":
			t.Errorf("a config key has no name: %+v", k)
		case seen[k.Name]:
			t.Errorf("config key %q is listed twice", k.Name)
		case strings.TrimSpace(k.Description) == "":
			t.Errorf("config key %q is not documented", k.Name)
		}
		seen[k.Name] = true
	}
	return d
}

func checkConfigureEmpty(t *testing.T, h *Harness, d sdk.DescribeResponse) {
	resp := h.configure(t, map[string]any{}, nil)
	var required []string
	for _, k := range d.ConfigKeys {
		if k.Required {
			required = append(required, k.Name)
		}
	}
	AssertConfigErrors(t, resp, required...)
	for _, e := range resp.Errors {
		if e.Key == "" {
			t.Errorf("a config error names no key: %q", e.Message)
		}
	}
}

func checkNewLane(t *testing.T, h *Harness) []byte {
	first := SampleMessages()[0]
	resp, err := h.Channel.Deliver(ctxTimeout(t), SampleDeliver(first, nil))
	ref := AssertDelivered(t, resp, err)
	second := first
	second.ID += "-again"
	resp, err = h.Channel.Deliver(ctxTimeout(t), SampleDeliver(second, ref))
	again := AssertDelivered(t, resp, err)
	if !bytes.Equal(again, ref) {
		t.Errorf("second delivery moved the thread: ref %q, then %q", ref, again)
	}
	return ref
}

func checkKinds(t *testing.T, h *Harness, ref []byte, opts ConformanceOptions) {
	if ref == nil {
		t.Skip("no thread: DeliverNewLane failed")
	}
	for _, m := range SampleMessages() {
		if contains(opts.SkipKinds, m.ID) {
			continue
		}
		t.Run(m.ID, func(t *testing.T) {
			_, err := h.Channel.Deliver(ctxTimeout(t), SampleDeliver(m, ref))
			if err != nil {
				t.Errorf("Deliver %s: %v", m.Kind, err)
			}
		})
	}
}

func checkBadSignature(t *testing.T, h *Harness, opts ConformanceOptions) {
	h.Host.Reset()
	resp, err := h.Channel.HandleWebhook(ctxTimeout(t), opts.BadSignatureRequest())
	if err != nil {
		t.Fatalf("HandleWebhook: %v", err)
	}
	AssertStatus(t, resp, 401, 403)
	if len(resp.Replies) > 0 {
		t.Errorf("a request with a bad signature yielded %d replies", len(resp.Replies))
	}
	AssertNoReplies(t, h.Host)
}

func checkValidWebhook(t *testing.T, h *Harness, ref []byte, opts ConformanceOptions) {
	h.Host.Reset()
	resp, err := h.Channel.HandleWebhook(ctxTimeout(t), opts.ValidWebhookRequest(ref))
	if err != nil {
		t.Fatalf("HandleWebhook: %v", err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		t.Fatalf("a valid webhook was answered %d: %s", resp.Status, excerpt(resp.Body))
	}
	if err := h.Host.Record(ctxTimeout(t), resp.Replies...); err != nil {
		t.Fatalf("returned reply rejected: %v", err)
	}
	for _, r := range AssertReplies(t, h.Host, 1, promptly) {
		if r.ExternalID == "" {
			t.Errorf("reply has no ExternalID, so the host cannot deduplicate it: %+v", r)
		}
	}
}

func checkCancellation(t *testing.T, h *Harness, ref []byte, opts ConformanceOptions) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func(ctx context.Context) error{
		"Deliver": func(ctx context.Context) error {
			_, err := h.Channel.Deliver(ctx, SampleDeliver(SampleMessages()[0], ref))
			return err
		},
		"Configure": func(ctx context.Context) error {
			_, err := h.Channel.Configure(ctx, sdk.ConfigureRequest{Config: mustJSON(t, opts.ValidConfig)})
			return err
		},
	}
	for name, call := range calls {
		if err := withinPromptly(t, func() error { return call(cancelled) }); err == nil {
			t.Errorf("%s with a cancelled context succeeded", name)
		}
	}
	// The in-process channel itself, without gRPC refusing the call first.
	if h.impl != nil {
		err := withinPromptly(t, func() error {
			_, err := h.impl.Deliver(cancelled, SampleDeliver(SampleMessages()[0], ref))
			return err
		})
		if err == nil {
			t.Error("the channel delivered with a cancelled context")
		}
	}
	if opts.HangingConfig == nil {
		return
	}
	AssertConfigured(t, h.configure(t, opts.HangingConfig, nil))
	defer func() { AssertConfigured(t, h.configure(t, opts.ValidConfig, nil)) }()
	ctx, cancelSoon := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelSoon()
	err := withinPromptly(t, func() error {
		_, err := h.Channel.Deliver(ctx, SampleDeliver(SampleMessages()[0], ref))
		return err
	})
	if err == nil {
		t.Error("Deliver to a desk that never answers succeeded")
	}
}

// withinPromptly runs call and fails the test if it has not returned
// promptly after its context ended.
func withinPromptly(t *testing.T, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(promptly + time.Second):
		t.Fatalf("call did not return within %v of its context ending", promptly)
		return nil
	}
}

func checkGarbage(t *testing.T, h *Harness, ref []byte, opts ConformanceOptions) {
	h.Host.Reset()
	huge := make([]byte, 2<<20)
	_, _ = rand.Read(huge)
	invalid := string([]byte{0xff, 0xfe, 'a', 0xc3})
	long := strings.Repeat("long text ", 100_000)
	nilKinds := []sdk.Kind{sdk.KindLocation, sdk.KindVenue, sdk.KindContact, sdk.KindPoll, sdk.KindNotice, sdk.KindPhoto, sdk.Kind("no-such-kind")}

	delivers := map[string]sdk.DeliverRequest{
		"empty request":         {},
		"huge text":             SampleDeliver(sdk.Message{ID: "g-huge", Kind: sdk.KindText, Text: long}, ref),
		"entities out of range": SampleDeliver(sdk.Message{ID: "g-ent", Kind: sdk.KindText, Text: "x", Entities: []sdk.Entity{{Type: "bold", Offset: 5, Length: -3}, {Type: "pre", Offset: -1, Length: 99}}}, ref),
		"garbage thread ref":    SampleDeliver(SampleMessages()[0], []byte{0, 0xff, '{', '"'}),
	}
	for _, k := range nilKinds {
		delivers["nil fields "+string(k)] = SampleDeliver(sdk.Message{ID: "g-" + string(k), Kind: k, Attachments: []sdk.Attachment{{}}}, ref)
	}
	for name, req := range delivers {
		t.Run("Deliver "+name, func(t *testing.T) {
			_, err := h.Channel.Deliver(ctxTimeout(t), req)
			assertNoPanic(t, err)
		})
	}
	webhooks := map[string]sdk.WebhookRequest{
		"empty":        {},
		"binary body":  {Method: "POST", Path: "/", Body: huge},
		"json null":    {Method: "POST", Path: "/", Header: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte("null")},
		"json array":   {Method: "POST", Path: "/", Body: []byte("[1,2,3]")},
		"broken json":  {Method: "POST", Path: "/", Body: []byte(`{"conversation_id":`)},
		"odd method":   {Method: "BREW", Path: "/../../etc/passwd", RawQuery: "%zz"},
		"nil header":   {Method: "POST", Header: map[string][]string{"X-Parley-Signature": nil, "": {""}}},
		"invalid utf8": {Method: "POST", Path: "/", Body: []byte(`{"text":"` + invalid + `"}`)},
	}
	for name, req := range webhooks {
		t.Run("HandleWebhook "+name, func(t *testing.T) {
			resp, err := h.Channel.HandleWebhook(ctxTimeout(t), req)
			assertNoPanic(t, err)
			if err == nil && resp.Status >= 200 && resp.Status < 300 && len(resp.Replies) > 0 {
				t.Errorf("unsigned garbage yielded replies: %+v", resp.Replies)
			}
		})
	}
	if _, ok := h.impl.(sdk.AttachmentOpener); ok || h.impl == nil {
		for _, ref := range []string{"", "file:///etc/passwd", "http://127.0.0.1:1/nothing", "\x00garbage"} {
			t.Run(fmt.Sprintf("OpenAttachment %q", ref), func(t *testing.T) {
				rc, _, err := h.Client.OpenAttachment(ctxTimeout(t), ref)
				var re *sdk.RemoteError
				if errors.As(err, &re) && re.Code == "Unimplemented" {
					t.Skip("the channel serves no reply attachments")
				}
				if err == nil {
					rc.Close()
					t.Errorf("OpenAttachment(%q) succeeded", ref)
				}
				assertNoPanic(t, err)
			})
		}
	}
	if h.impl != nil { // gRPC cannot carry invalid UTF-8: call the channel itself
		t.Run("Deliver invalid UTF-8 in-process", func(t *testing.T) {
			req := SampleDeliver(sdk.Message{ID: "g-utf8", Kind: sdk.KindText, Text: invalid,
				Entities: []sdk.Entity{{Type: "bold", Offset: 0, Length: 4}}}, ref)
			req.Contact.FirstName = invalid
			callNoPanic(t, func() { _, _ = h.impl.Deliver(ctxTimeout(t), req) })
		})
	}
	AssertNoReplies(t, h.Host)
}

// assertNoPanic fails when a call's error is the SDK's report of a panic
// in the plugin (the plugin process survived, but the channel crashed).
func assertNoPanic(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "plugin panicked") {
		t.Errorf("the channel panicked: %v", err)
	}
	var re *sdk.RemoteError
	if errors.As(err, &re) && re.Code == "Unimplemented" {
		t.Errorf("method not implemented: %v", err)
	}
}

func callNoPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("the channel panicked: %v", r)
		}
	}()
	f()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
