package plugintest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// AssertConfigured fails the test unless Configure reported no problem.
func AssertConfigured(t testing.TB, resp sdk.ConfigureResponse) {
	t.Helper()
	if len(resp.Errors) > 0 {
		t.Fatalf("Configure reported problems: %v", resp.Errors)
	}
}

// AssertConfigErrors fails the test unless Configure reported a problem
// for each of keys.
func AssertConfigErrors(t testing.TB, resp sdk.ConfigureResponse, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if !slices.ContainsFunc(resp.Errors, func(e sdk.ConfigError) bool { return e.Key == k && e.Message != "" }) {
			t.Errorf("Configure reported no problem for key %q; got %v", k, resp.Errors)
		}
	}
}

// AssertDelivered fails the test unless a Deliver succeeded with a thread
// ref, and returns that ref.
func AssertDelivered(t testing.TB, resp sdk.DeliverResponse, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if len(resp.ThreadRef) == 0 {
		t.Fatal("Deliver returned an empty thread ref")
	}
	return resp.ThreadRef
}

// AssertStatus fails the test unless the webhook answer has one of the
// statuses.
func AssertStatus(t testing.TB, resp sdk.WebhookResponse, statuses ...int) {
	t.Helper()
	if !slices.Contains(statuses, resp.Status) {
		t.Errorf("webhook answered %d (%s), want one of %v", resp.Status, excerpt(resp.Body), statuses)
	}
}

// AssertReplies waits up to timeout for n replies on the host and returns
// them.
func AssertReplies(t testing.TB, h *RecordingHost, n int, timeout time.Duration) []sdk.Reply {
	t.Helper()
	replies, err := h.WaitReplies(n, timeout)
	if err != nil {
		t.Fatalf("%v: %+v", err, replies)
	}
	return replies
}

// AssertNoReplies fails the test if the host recorded any reply.
func AssertNoReplies(t testing.TB, h *RecordingHost) {
	t.Helper()
	if r := h.Replies(); len(r) > 0 {
		t.Errorf("host recorded %d unexpected replies: %+v", len(r), r)
	}
}

// AssertRetryAfter fails the test unless err asks the host to retry after
// a wait of at least min.
func AssertRetryAfter(t testing.TB, err error, min time.Duration) {
	t.Helper()
	d, ok := sdk.RetryHint(err)
	if !ok {
		t.Fatalf("error %v carries no retry hint", err)
	}
	if d < min {
		t.Errorf("retry hint %v, want at least %v", d, min)
	}
}

// AssertPermanent fails the test unless err is marked permanent.
func AssertPermanent(t testing.TB, err error) {
	t.Helper()
	if err == nil || !sdk.IsPermanent(err) {
		t.Fatalf("error %v is not permanent", err)
	}
}

// AssertTemporary fails the test unless err is an error the host retries
// with backoff: neither permanent nor "not configured".
func AssertTemporary(t testing.TB, err error) {
	t.Helper()
	if err == nil || sdk.IsPermanent(err) || errors.Is(err, sdk.ErrNotConfigured) {
		t.Fatalf("error %v is not a temporary error", err)
	}
}

// AssertNoSecret fails the test if s contains secret.
func AssertNoSecret(t testing.TB, s, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(s, secret) {
		t.Errorf("secret leaked in %q", excerpt([]byte(s)))
	}
}

func excerpt(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
