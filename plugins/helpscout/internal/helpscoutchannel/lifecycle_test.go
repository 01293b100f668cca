package helpscoutchannel_test

import (
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

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/helpscoutchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// clock is a settable time for the channel's echo expectations.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// lcEnv is a configured channel whose fake Help Scout sends its webhooks
// to the channel, as the real one does through the host's /hooks URL.
type lcEnv struct {
	env
	clock *clock
}

func setupLifecycle(t *testing.T, host sdk.Host) lcEnv {
	t.Helper()
	fake := newFake(t, helpscoutfake.Options{})
	clk := &clock{t: time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)}
	rec, _ := host.(*plugintest.RecordingHost)
	if host == nil {
		rec = plugintest.NewRecordingHost()
		host = rec
	}
	e := lcEnv{env: env{fake: fake, ch: helpscoutchannel.New(helpscoutchannel.Options{Version: "test", Now: clk.now}), host: rec}, clock: clk}
	plugintest.AssertConfigured(t, configure(t, e.ch, host, validConfig(fake)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		resp, err := e.ch.HandleWebhook(r.Context(), sdk.WebhookRequest{Method: r.Method, Path: "/", Header: r.Header, Body: body})
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	}))
	t.Cleanup(srv.Close)
	fake.SetWebhook(srv.URL, secret)
	return e
}

func (e lcEnv) notice(t *testing.T, ref []byte, n sdk.Notice) (sdk.DeliverResponse, error) {
	t.Helper()
	if n.Text == "" {
		n.Text = "A sentence from the host."
	}
	return e.ch.Deliver(ctx(t), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c1", Number: 1}, Contact: contact, ThreadRef: ref,
		Message: sdk.Message{ID: "n-" + string(n.Code), Kind: sdk.KindNotice, Text: n.Text, Notice: &n},
	})
}

func notes(c helpscoutfake.Conversation) []string {
	var out []string
	for _, t := range c.Threads {
		if t.Type == "note" {
			out = append(out, t.Text)
		}
	}
	return out
}

func ok(t *testing.T, res helpscoutfake.WebhookResult, err error, want string) {
	t.Helper()
	if err != nil || res.Status != 200 || !strings.HasPrefix(string(res.Body), want) {
		t.Fatalf("webhook answered %d %q, %v; want 200 %q", res.Status, res.Body, err, want)
	}
}

func TestDescribeAnnouncesLifecycle(t *testing.T) {
	desc, err := helpscoutchannel.New(helpscoutchannel.Options{}).Describe(context.Background())
	if err != nil || !desc.Capabilities.Lifecycle {
		t.Fatalf("capabilities %+v, %v; want Lifecycle", desc.Capabilities, err)
	}
}

// An agent closing, reopening and closing again in Help Scout closes,
// reopens and closes the Parley conversation, each as the agent who did
// it; Help Scout's retry of an event is the same action, pending is none.
func TestStatusWebhooksCloseAndReopen(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Where is my parcel?"), nil)
	id := convID(t, ref)
	grace := &helpscoutfake.User{ID: 21, First: "Grace", Last: "Hopper"}

	res, err := e.fake.ChangeStatus(ctx(t), id, "closed", grace)
	ok(t, res, err, "ok")
	res, err = e.fake.SendEvent(ctx(t), "convo.status", id) // Help Scout retries
	ok(t, res, err, "ok")
	res, err = e.fake.ChangeStatus(ctx(t), id, "active", nil)
	ok(t, res, err, "ok")
	res, err = e.fake.ChangeStatus(ctx(t), id, "pending", nil)
	ok(t, res, err, "ignored")
	res, err = e.fake.ChangeStatus(ctx(t), id, "closed", nil)
	ok(t, res, err, "ok")

	acts := e.host.Actions()
	want := []struct {
		kind  sdk.ActionKind
		agent string
	}{{sdk.ActionClose, "Grace Hopper"}, {sdk.ActionReopen, ""}, {sdk.ActionClose, "Anna Agent"}}
	if len(acts) != len(want) {
		t.Fatalf("host got %d actions %+v, want %d", len(acts), acts, len(want))
	}
	seen := map[string]bool{}
	for i, w := range want {
		a := acts[i]
		if a.Kind != w.kind || a.Agent != w.agent || string(a.ThreadRef) != string(ref) || seen[a.ExternalID] ||
			!strings.HasPrefix(a.ExternalID, "convo.status/") {
			t.Errorf("action %d = %+v, want %s by %q on %s with a fresh id", i, a, w.kind, w.agent, ref)
		}
		seen[a.ExternalID] = true
	}
}

// Assigning a conversation in Help Scout claims it for the assignee;
// unassigning gives the claim back.
func TestAssignmentClaimsAndUnclaims(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	id := convID(t, ref)
	res, err := e.fake.Assign(ctx(t), id, &helpscoutfake.User{ID: 21, First: "Grace", Last: "Hopper"})
	ok(t, res, err, "ok")
	res, err = e.fake.Assign(ctx(t), id, &helpscoutfake.User{ID: 22, Email: "ada@example.com"})
	ok(t, res, err, "ok")
	res, err = e.fake.Assign(ctx(t), id, nil)
	ok(t, res, err, "ok")
	acts := e.host.Actions()
	if len(acts) != 3 || acts[0].Kind != sdk.ActionClaim || acts[0].Agent != "Grace Hopper" ||
		acts[1].Kind != sdk.ActionClaim || acts[1].Agent != "ada@example.com" ||
		acts[2].Kind != sdk.ActionUnclaim || acts[2].Agent != "" || string(acts[2].ThreadRef) != string(ref) {
		t.Errorf("actions %+v; want claims by Grace Hopper and ada@example.com, then an unclaim", acts)
	}
}

// A close from another desk closes the Help Scout conversation and notes
// who closed it; a reopen from elsewhere makes it active again. The
// convo.status event Help Scout sends about the channel's own change is
// not reported back as an agent's action, but a person's later change is.
func TestCloseFromElsewhereClosesHelpScout(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	id := convID(t, ref)

	if _, err := e.notice(t, ref, sdk.Notice{Code: sdk.NoticeConversationClosed, Text: "Grace Hopper closed the conversation.",
		Agent: "Grace Hopper", Reason: sdk.CloseByAgent, State: sdk.StateClosed, SourceChannel: "slack", ActionExternalID: "Ev1"}); err != nil {
		t.Fatal(err)
	}
	c := e.conversation(t, ref)
	if c.Status != "closed" || len(c.StatusChanges) != 1 {
		t.Fatalf("Help Scout conversation %s (changes %v), want closed by one PATCH", c.Status, c.StatusChanges)
	}
	var patches []string
	for _, r := range e.fake.Requests() {
		if r.Method == http.MethodPatch {
			patches = append(patches, r.Path+" "+string(r.Body))
		}
	}
	if want := fmt.Sprintf(`/v2/conversations/%d {"op":"replace","path":"/status","value":"closed"}`, id); len(patches) != 1 || patches[0] != want {
		t.Errorf("PATCH requests %q, want %q", patches, want)
	}
	if n := notes(c); len(n) != 1 || n[0] != "Grace Hopper closed the conversation." {
		t.Errorf("notes %q, want who closed it", n)
	}
	res, err := e.fake.SendEvent(ctx(t), "convo.status", id) // the echo of the PATCH
	ok(t, res, err, "ignored")
	if acts := e.host.Actions(); len(acts) != 0 {
		t.Fatalf("the echo of the channel's own close became %+v", acts)
	}

	if _, err := e.notice(t, ref, sdk.Notice{Code: sdk.NoticeConversationReopened, Text: "The customer wrote again; reopened.",
		State: sdk.StateOpen}); err != nil {
		t.Fatal(err)
	}
	if c := e.conversation(t, ref); c.Status != "active" || len(c.StatusChanges) != 2 {
		t.Fatalf("Help Scout conversation %s (changes %v), want active again", c.Status, c.StatusChanges)
	}
	// No echo this time: a person's close is an action.
	res, err = e.fake.ChangeStatus(ctx(t), id, "closed", nil)
	ok(t, res, err, "ok")
	if acts := e.host.Actions(); len(acts) != 1 || acts[0].Kind != sdk.ActionClose || acts[0].Agent != "Anna Agent" {
		t.Errorf("actions %+v, want Anna Agent's close", acts)
	}
}

// An expected echo that never came does not swallow a person's change
// much later.
func TestStaleEchoExpectationExpires(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	if _, err := e.notice(t, ref, sdk.Notice{Code: sdk.NoticeConversationClosed, Reason: sdk.CloseByIdle, State: sdk.StateClosed}); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(11 * time.Minute)
	res, err := e.fake.SendEvent(ctx(t), "convo.status", convID(t, ref))
	ok(t, res, err, "ok")
	if acts := e.host.Actions(); len(acts) != 1 || acts[0].Kind != sdk.ActionClose {
		t.Errorf("actions %+v, want the late close reported", acts)
	}
}

// The echo of this channel's own action changes nothing in Help Scout:
// no PATCH, no note.
func TestOwnEchoIsNoOp(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	before := len(e.fake.Requests())
	for _, n := range []sdk.Notice{
		{Code: sdk.NoticeConversationClosed, Agent: "Anna Agent", Reason: sdk.CloseByAgent, SourceChannel: "helpscout", ActionExternalID: "convo.status/1/closed/x"},
		{Code: sdk.NoticeConversationReopened, SourceChannel: "helpscout", ActionExternalID: "convo.status/1/active/y"},
		{Code: sdk.NoticeConversationClaimed, Agent: "Anna Agent", SourceChannel: "helpscout", ActionExternalID: "convo.assigned/1/17/z"},
	} {
		resp, err := e.notice(t, ref, n)
		if err != nil || string(resp.ThreadRef) != string(ref) {
			t.Fatalf("%s: %+v, %v", n.Code, resp, err)
		}
	}
	if reqs := e.fake.Requests()[before:]; len(reqs) != 0 {
		t.Errorf("own echoes made Help Scout requests: %+v", reqs)
	}
	if c := e.conversation(t, ref); c.Status != "active" || len(notes(c)) != 0 {
		t.Errorf("conversation %s with notes %q, want untouched", c.Status, notes(c))
	}
}

// Ratings and claims from elsewhere are notes; an ignored status sync is
// not worth one when both sides agree, a refused reopen and an ignored
// assignment are.
func TestNotesForRatingsClaimsAndIgnoredActions(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	for _, n := range []sdk.Notice{
		{Code: sdk.NoticeRating, Score: 4, Scale: 5, Text: "The customer rated the conversation 4 out of 5."},
		{Code: sdk.NoticeConversationClaimed, Agent: "Grace Hopper", Text: "Grace Hopper claimed the conversation.", SourceChannel: "slack"},
		{Code: sdk.NoticeActionIgnored, Text: "Already closed.", State: sdk.StateClosed, SourceChannel: "helpscout", ActionExternalID: "convo.status/1/closed/x"},
		{Code: sdk.NoticeActionIgnored, Text: "Not closed.", State: sdk.StateOpen, SourceChannel: "helpscout", ActionExternalID: "convo.status/1/active/y"},
		{Code: sdk.NoticeActionIgnored, Text: "An agent could not reopen conversation #1: the customer has a newer conversation, #2.",
			State: sdk.StateClosed, SourceChannel: "helpscout", ActionExternalID: "convo.status/1/active/w"},
		{Code: sdk.NoticeActionIgnored, Text: "The conversation is closed; reopen it to claim it.", SourceChannel: "helpscout", ActionExternalID: "convo.assigned/1/17/z"},
	} {
		if _, err := e.notice(t, ref, n); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Customer rated 4/5", "Grace Hopper claimed the conversation.",
		"An agent could not reopen conversation #1: the customer has a newer conversation, #2.", "The conversation is closed; reopen it to claim it."}
	if got := notes(e.conversation(t, ref)); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("notes %q, want %q", got, want)
	}
	if c := e.conversation(t, ref); len(c.StatusChanges) != 0 {
		t.Errorf("status changed: %v", c.StatusChanges)
	}
}

// After a close the customer's next conversation is a new Help Scout
// conversation whose note links the previous one.
func TestNewConversationLinksThePreviousOne(t *testing.T) {
	e := setupLifecycle(t, nil)
	old := e.mustDeliver(t, text("m1", "First issue"), nil)
	resp, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c2", Number: 2, PreviousID: "c1", PreviousNumber: 1}, Contact: contact,
		Message: text("m2", "A new question"), PreviousThreadRef: old,
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.ThreadRef) == string(old) || len(resp.ThreadRef) == 0 {
		t.Fatalf("thread ref %q, want a new Help Scout conversation (old %q)", resp.ThreadRef, old)
	}
	c := e.conversation(t, resp.ThreadRef)
	n := notes(c)
	if len(c.CustomerThreads()) != 1 || len(n) != 1 || !strings.Contains(n[0], "previous conversation") ||
		!strings.Contains(n[0], `href="https://secure.helpscout.net/conversation/`+string(old)+`"`) {
		t.Errorf("new conversation threads %+v; want the message and a note linking %s", c.Threads, old)
	}
	if len(e.fake.Conversations()) != 2 {
		t.Errorf("%d Help Scout conversations, want 2", len(e.fake.Conversations()))
	}
}

// refusingHost is a host that knows no conversation, or is briefly down.
type refusingHost struct {
	*plugintest.RecordingHost
	err error
}

func (h *refusingHost) PostAction(context.Context, sdk.Action) (sdk.ActionResult, error) {
	return sdk.ActionResult{}, h.err
}

// A status change of a conversation Parley does not know (an ordinary
// e-mail in the same mailbox) is acknowledged, so Help Scout neither
// retries nor disables the webhook; a host that is briefly down gets the
// event again.
func TestStatusEventTheHostCannotApply(t *testing.T) {
	host := &refusingHost{RecordingHost: plugintest.NewRecordingHost(), err: sdk.Permanent(errors.New("unknown conversation"))}
	e := setupLifecycle(t, host)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	res, err := e.fake.ChangeStatus(ctx(t), convID(t, ref), "closed", nil)
	ok(t, res, err, "ignored: unknown conversation")

	host.err = errors.New("host restarting")
	res, err = e.fake.ChangeStatus(ctx(t), convID(t, ref), "active", nil)
	if err != nil || res.Status != http.StatusServiceUnavailable {
		t.Errorf("webhook answered %d %q, %v; want an error so Help Scout retries", res.Status, res.Body, err)
	}
}

// Help Scout trouble while closing: a server error is retried, a deleted
// conversation has nothing left to close.
func TestCloseFailures(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	closeNotice := sdk.Notice{Code: sdk.NoticeConversationClosed, Reason: sdk.CloseByOperator, State: sdk.StateClosed}
	if err := e.fake.Inject(helpscoutfake.Fault{Method: "PATCH", Status: http.StatusServiceUnavailable}); err != nil {
		t.Fatal(err)
	}
	_, err := e.notice(t, ref, closeNotice)
	plugintest.AssertTemporary(t, err)
	// The failed PATCH leaves no expectation behind: an agent's own close
	// right after it is the agent's.
	res, err := e.fake.ChangeStatus(ctx(t), convID(t, ref), "closed", nil)
	ok(t, res, err, "ok")
	if acts := e.host.Actions(); len(acts) != 1 || acts[0].Kind != sdk.ActionClose {
		t.Errorf("actions %+v, want the agent's close", acts)
	}
	if _, err := e.notice(t, ref, closeNotice); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if c := e.conversation(t, ref); c.Status != "closed" {
		t.Errorf("status %s after the retry, want closed", c.Status)
	}
	if resp, err := e.notice(t, []byte("999999"), closeNotice); err != nil || string(resp.ThreadRef) != "999999" {
		t.Errorf("close of a deleted conversation: %+v, %v; want success", resp, err)
	}
	// A notice before the conversation reached Help Scout has nothing to show.
	if resp, err := e.notice(t, nil, closeNotice); err != nil || len(resp.ThreadRef) != 0 {
		t.Errorf("close without a thread: %+v, %v", resp, err)
	}
}

// Status and assignment events are signed like agent replies: a forged
// one is refused and changes nothing.
func TestForgedLifecycleEventsAreRefused(t *testing.T) {
	e := setupLifecycle(t, nil)
	ref := e.mustDeliver(t, text("m1", "Hello"), nil)
	e.fake.SetStatus(convID(t, ref), "closed")
	for _, event := range []string{"convo.status", "convo.assigned"} {
		payload, err := e.fake.Payload(convID(t, ref), true)
		if err != nil {
			t.Fatal(err)
		}
		body, header, err := e.fake.SignedWebhook(event, payload)
		if err != nil {
			t.Fatal(err)
		}
		header.Set("X-HelpScout-Signature", helpscoutfake.Sign("not the secret", body))
		plugintest.AssertStatus(t, e.raw(t, body, header), http.StatusUnauthorized)
		header.Del("X-HelpScout-Signature")
		plugintest.AssertStatus(t, e.raw(t, body, header), http.StatusUnauthorized)
	}
	if acts := e.host.Actions(); len(acts) != 0 {
		t.Errorf("forged events became actions %+v", acts)
	}
}
