package slackchannel_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/internal/slackchannel"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// grace is an agent with a real name and no display name: actions carry
// the real name.
var grace = slackfake.User{ID: "U0GRACE", Name: "grace", RealName: "Grace Hopper"}

// header is the conversation header (the thread parent) with ts: its
// texts, its buttons' action ids and its reactions.
type header struct {
	texts     string
	buttons   []string
	reactions []slackfake.Reaction
}

func readHeader(t *testing.T, f *slackfake.Fake, ts string) header {
	t.Helper()
	for _, m := range f.Messages(slackfake.ChannelID) {
		if m.TS != ts || m.ThreadTS != "" {
			continue
		}
		var blocks any
		if err := json.Unmarshal([]byte(m.Blocks), &blocks); err != nil {
			t.Fatalf("header blocks %q: %v", m.Blocks, err)
		}
		h := header{reactions: f.Reactions(slackfake.ChannelID, ts)}
		var texts []string
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if s, ok := x["text"].(string); ok {
					texts = append(texts, s)
				}
				if x["type"] == "button" {
					h.buttons = append(h.buttons, x["action_id"].(string))
				}
				for _, c := range x {
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(blocks)
		h.texts = strings.Join(texts, "\n")
		return h
	}
	t.Fatalf("no thread parent %s", ts)
	return header{}
}

// reactors are the users who reacted with name.
func (h header) reactors(name string) []string {
	for _, r := range h.reactions {
		if r.Name == name {
			return r.Users
		}
	}
	return nil
}

// lastInThread is the newest reply in the thread of root.
func lastInThread(t *testing.T, f *slackfake.Fake, root string) slackfake.Message {
	t.Helper()
	th := f.Thread(slackfake.ChannelID, root)
	if len(th) == 0 || th[len(th)-1].TS == root {
		t.Fatalf("thread %s has no replies", root)
	}
	return th[len(th)-1]
}

func lifecycle(code sdk.NoticeCode, n sdk.Notice) sdk.Message {
	n.Code = code
	return sdk.Message{ID: "notice-" + string(code) + "-" + n.ActionExternalID, Kind: sdk.KindNotice, Text: n.Text, Time: time.Now(), Notice: &n}
}

func waitActions(t *testing.T, e *env, n int) []sdk.Action {
	t.Helper()
	if !e.fake.WaitFor(wait, func() bool { return len(e.host.Actions()) >= n }) {
		t.Fatalf("%d actions after %v, want %d: %+v", len(e.host.Actions()), wait, n, e.host.Actions())
	}
	return e.host.Actions()
}

func TestDescribeAnnouncesLifecycle(t *testing.T) {
	d, err := slackchannel.New(slackchannel.Options{Version: "test"}).Describe(ctx(t))
	if err != nil || !d.Capabilities.Lifecycle {
		t.Fatalf("Describe = %+v, %v; want the lifecycle capability", d.Capabilities, err)
	}
	for _, k := range []string{"close_reaction", "claim_reaction"} {
		if !slices.ContainsFunc(d.ConfigKeys, func(c sdk.ConfigKey) bool { return c.Name == k && c.Default != "" }) {
			t.Errorf("config key %s is not documented with its default", k)
		}
	}
}

func TestNewHeaderShowsStateAndButtons(t *testing.T) {
	e := newEnv(t, nil)
	root := parentTS(t, e.deliver(text("hello"), nil).ThreadRef)
	h := readHeader(t, e.fake, root)
	if !strings.Contains(h.texts, "🟢 Open") || !slices.Equal(h.buttons, []string{"parley_claim", "parley_close"}) {
		t.Errorf("new header: texts %q, buttons %v; want Open with Claim and Close", h.texts, h.buttons)
	}
	if !strings.Contains(h.texts, ":eyes:") || !strings.Contains(h.texts, ":white_check_mark:") {
		t.Errorf("the header does not tell agents which reactions work: %q", h.texts)
	}
}

func TestReactionsOnTheHeaderCloseReopenAndClaim(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(grace)
	first := e.deliver(text("hello"), nil)
	ref := first.ThreadRef
	root := parentTS(t, ref)
	react := func(ts, name string, add bool) slackfake.Delivery {
		t.Helper()
		do := e.fake.AgentReact
		if !add {
			do = e.fake.AgentUnreact
		}
		d, err := do(ctx(t), slackfake.ChannelID, ts, grace.ID, name)
		if err != nil || !d.OK() {
			t.Fatalf("react %s: %v, %+v", name, err, d.Attempts)
		}
		return d
	}

	react(root, "eyes", true)
	closeDelivery := react(root, "white_check_mark", true)
	react(root, "white_check_mark", false)
	// Ignored: another emoji, removing the claim emoji, a reaction on a
	// message in the thread, and the app's own reaction.
	react(root, "tada", true)
	react(root, "eyes", false)
	react(first.DeskMessageID, "white_check_mark", true)
	// Another app's bot (a workflow) reacting is not an agent.
	workflow := slackfake.User{ID: "U0WORKFLOW", Name: "workflow", RealName: "Workflow Bot", IsBot: true}
	e.fake.AddUser(workflow)
	if d, err := e.fake.AgentReact(ctx(t), slackfake.ChannelID, root, workflow.ID, "eyes"); err != nil || !d.OK() {
		t.Fatalf("workflow react: %v, %+v", err, d)
	}
	if _, err := e.fake.SendEvent(ctx(t), map[string]any{"type": "reaction_added", "user": slackfake.BotUserID,
		"reaction": "white_check_mark", "item_user": slackfake.BotUserID, "event_ts": "1700000999.000100",
		"item": map[string]any{"type": "message", "channel": slackfake.ChannelID, "ts": root}}); err != nil {
		t.Fatal(err)
	}
	// Slack's retry of the close reaches the host again, which keeps it once.
	if status, err := e.fake.ReplayExact(ctx(t), closeDelivery, 1); err != nil || status != http.StatusOK {
		t.Fatalf("replay: %d, %v", status, err)
	}

	got := e.host.Actions()
	want := []sdk.ActionKind{sdk.ActionClaim, sdk.ActionClose, sdk.ActionReopen}
	if len(got) != len(want) {
		t.Fatalf("actions %+v, want %v", got, want)
	}
	for i, a := range got {
		if a.Kind != want[i] || a.Agent != "Grace Hopper" || string(a.ThreadRef) != string(ref) ||
			!strings.HasPrefix(a.ExternalID, "reaction:") {
			t.Errorf("action %d = %+v, want %s by Grace Hopper on %s", i, a, want[i], ref)
		}
	}
	if got[1].ExternalID == got[2].ExternalID {
		t.Errorf("adding and removing the reaction share the id %s", got[1].ExternalID)
	}
	if n := len(e.fake.Calls("users.info")); n != 2 {
		t.Errorf("users.info called %d times for one agent and one bot, want 2 (cached)", n)
	}
}

func TestClaimByButtonOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(grace)
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)

	d, err := e.fake.AgentClick(ctx(t), slackfake.ChannelID, root, grace.ID, "parley_claim")
	if err != nil || !d.OK() {
		t.Fatalf("click: %v, %+v", err, d.Attempts)
	}
	acts := e.host.Actions()
	if len(acts) != 1 || acts[0].Kind != sdk.ActionClaim || acts[0].Agent != "Grace Hopper" ||
		string(acts[0].ThreadRef) != string(ref) || !strings.HasPrefix(acts[0].ExternalID, "button:") {
		t.Fatalf("actions %+v, want a claim by Grace Hopper", acts)
	}
	// A forged click is refused and changes nothing.
	var payload map[string]any
	if err := json.Unmarshal(d.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	payload["trigger_id"] = "forged"
	if status, err := e.fake.SendInteractionWithBadSignature(ctx(t), payload); err != nil || status != http.StatusUnauthorized {
		t.Errorf("badly signed click answered %d (%v), want 401", status, err)
	}
	if d, err := e.fake.AgentClick(ctx(t), slackfake.ChannelID, root, grace.ID, "parley_close"); err != nil || !d.OK() {
		t.Fatalf("click close: %v", err)
	}
	if acts := e.host.Actions(); len(acts) != 2 || acts[1].Kind != sdk.ActionClose {
		t.Errorf("actions %+v, want claim then close", acts)
	}
}

func TestSocketModeClaimByButtonAndCloseByReaction(t *testing.T) {
	e := newEnv(t, func(c map[string]any) {
		delete(c, "signing_secret")
		c["app_token"] = slackfake.AppToken
	})
	e.fake.AddUser(grace)
	if !e.fake.WaitFor(wait, func() bool { _, open := e.fake.SocketConnections(); return open == 1 }) {
		t.Fatal("no Socket Mode connection")
	}
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)

	d, err := e.fake.AgentClick(ctx(t), slackfake.ChannelID, root, grace.ID, "parley_claim")
	if err != nil || !d.Socket {
		t.Fatalf("click: %v (socket %v)", err, d.Socket)
	}
	acts := waitActions(t, e, 1)
	if acts[0].Kind != sdk.ActionClaim || acts[0].Agent != "Grace Hopper" || string(acts[0].ThreadRef) != string(ref) {
		t.Errorf("action %+v, want a claim by Grace Hopper", acts[0])
	}
	if !e.fake.WaitFor(wait, func() bool { return e.fake.Acked(d.EnvelopeID) }) {
		t.Error("the click's envelope was not acknowledged")
	}
	if _, err := e.fake.AgentReact(ctx(t), slackfake.ChannelID, root, grace.ID, "white_check_mark"); err != nil {
		t.Fatal(err)
	}
	acts = waitActions(t, e, 2)
	if acts[1].Kind != sdk.ActionClose || acts[1].Agent != "Grace Hopper" {
		t.Errorf("action %+v, want a close by Grace Hopper", acts[1])
	}
	if !e.fake.WaitFor(wait, func() bool { return len(e.fake.Unacked()) == 0 }) {
		t.Errorf("envelopes left unacknowledged: %v", e.fake.Unacked())
	}
}

func TestNoticeUpdatesHeaderAndMirrorsChangesFromElsewhere(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddUser(grace)
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)

	// Claimed in another desk: the header says so, and the app adds 👀.
	e.deliver(lifecycle(sdk.NoticeConversationClaimed, sdk.Notice{Agent: "Ada Lovelace", State: sdk.StateClaimed,
		SourceChannel: "helpscout", ActionExternalID: "hs-7", Text: "Ada Lovelace claimed the conversation in helpscout."}), ref)
	h := readHeader(t, e.fake, root)
	if !strings.Contains(h.texts, "👀 Claimed by Ada Lovelace") || !slices.Equal(h.buttons, []string{"parley_unclaim", "parley_close"}) {
		t.Errorf("after a claim: texts %q, buttons %v", h.texts, h.buttons)
	}
	if !slices.Equal(h.reactors("eyes"), []string{slackfake.BotUserID}) {
		t.Errorf("reactions %+v, want the app's eyes", h.reactions)
	}
	if line := lastInThread(t, e.fake, root); !strings.Contains(line.Text, "Ada Lovelace claimed") {
		t.Errorf("thread line %q", line.Text)
	}

	// Closed here by Grace's ✅: the echo updates the header but adds no
	// reaction of the app's own.
	if _, err := e.fake.AgentReact(ctx(t), slackfake.ChannelID, root, grace.ID, "white_check_mark"); err != nil {
		t.Fatal(err)
	}
	closeAct := e.host.Actions()[0]
	adds := len(e.fake.Calls("reactions.add"))
	e.deliver(lifecycle(sdk.NoticeConversationClosed, sdk.Notice{Agent: "Grace Hopper", Reason: sdk.CloseByAgent,
		State: sdk.StateClosed, SourceChannel: "slack", ActionExternalID: closeAct.ExternalID}), ref)
	h = readHeader(t, e.fake, root)
	if !strings.Contains(h.texts, "✅ Closed by Grace Hopper") || !slices.Equal(h.buttons, []string{"parley_reopen"}) {
		t.Errorf("after the close: texts %q, buttons %v", h.texts, h.buttons)
	}
	if n := len(e.fake.Calls("reactions.add")); n != adds || !slices.Equal(h.reactors("white_check_mark"), []string{grace.ID}) {
		t.Errorf("the desk's own close made %d reactions.add calls; ✅ by %v, want Grace's only", n-adds, h.reactors("white_check_mark"))
	}

	// Reopened by the customer, then closed by an operator: both from
	// elsewhere, so the app's reactions follow.
	e.deliver(lifecycle(sdk.NoticeConversationReopened, sdk.Notice{State: sdk.StateOpen,
		Text: "The customer wrote again; the conversation is open."}), ref)
	h = readHeader(t, e.fake, root)
	if !strings.Contains(h.texts, "🟢 Open") || !slices.Equal(h.buttons, []string{"parley_claim", "parley_close"}) ||
		slices.Contains(h.reactors("eyes"), slackfake.BotUserID) {
		t.Errorf("after reopening: texts %q, buttons %v, reactions %+v", h.texts, h.buttons, h.reactions)
	}
	e.deliver(lifecycle(sdk.NoticeConversationClosed, sdk.Notice{Reason: sdk.CloseByOperator, State: sdk.StateClosed,
		Text: "An operator closed the conversation."}), ref)
	h = readHeader(t, e.fake, root)
	if !strings.Contains(h.texts, "✅ Closed by an operator") ||
		!slices.Equal(h.reactors("white_check_mark"), []string{grace.ID, slackfake.BotUserID}) {
		t.Errorf("after the operator's close: texts %q, reactions %+v", h.texts, h.reactions)
	}
	// The app's own reactions came back as events and were no actions.
	e.settle()
	if n := len(e.host.Actions()); n != 1 {
		t.Errorf("%d actions, want only Grace's close: %+v", n, e.host.Actions())
	}
}

func TestNextConversationGetsNewHeaderLinkingPrevious(t *testing.T) {
	e := newEnv(t, nil)
	first := e.deliver(text("first question"), nil).ThreadRef
	root1 := parentTS(t, first)

	req := plugintest.SampleDeliver(text("a new question"), nil)
	req.Conversation.ID, req.Conversation.Number = "conv-sample-2", 43
	req.Conversation.PreviousID, req.Conversation.PreviousNumber = "conv-sample-1", 42
	req.PreviousThreadRef = first
	resp, err := e.ch.Deliver(ctx(t), req)
	second := plugintest.AssertDelivered(t, resp, err)
	root2 := parentTS(t, second)
	if root2 == root1 {
		t.Fatal("the next conversation went into the previous thread")
	}
	permalink := "https://acme.slack.com/archives/" + slackfake.ChannelID + "/p" + strings.Replace(root1, ".", "", 1)
	h := readHeader(t, e.fake, root2)
	if !strings.Contains(h.texts, permalink+"|conversation #42>") {
		t.Errorf("new header %q does not link %s", h.texts, permalink)
	}
	if th := e.fake.Thread(slackfake.ChannelID, root2); len(th) != 1 || !strings.Contains(th[0].Text, "a new question") {
		t.Errorf("new thread %+v", th)
	}

	// A restarted plugin (nothing in memory) keeps the link when the
	// header changes.
	restarted := slackchannel.New(slackchannel.Options{Version: "test"})
	t.Cleanup(restarted.Close)
	raw, _ := json.Marshal(baseConfig(e.fake))
	cresp, err := restarted.Configure(ctx(t), sdk.ConfigureRequest{ChannelName: "slack", Config: raw, Host: e.host})
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertConfigured(t, cresp)
	req = plugintest.SampleDeliver(lifecycle(sdk.NoticeConversationClaimed, sdk.Notice{Agent: "Ada Lovelace", State: sdk.StateClaimed}), second)
	req.Conversation.ID, req.Conversation.Number = "conv-sample-2", 43
	resp, err = restarted.Deliver(ctx(t), req)
	plugintest.AssertDelivered(t, resp, err)
	if len(e.fake.Calls("reactions.get")) == 0 {
		t.Error("the restarted plugin did not read the header back")
	}
	h = readHeader(t, e.fake, root2)
	if !strings.Contains(h.texts, "👀 Claimed by Ada Lovelace") || !strings.Contains(h.texts, permalink) {
		t.Errorf("updated header %q lost the state or the link", h.texts)
	}
}

func TestRatingAndIgnoredActionLines(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)

	e.deliver(lifecycle(sdk.NoticeRating, sdk.Notice{Score: 4, Scale: 5, State: sdk.StateClosed,
		Text: "The customer rated the conversation 4 out of 5."}), ref)
	if line := lastInThread(t, e.fake, root); !strings.Contains(line.Text, "Rated 4/5") {
		t.Errorf("rating line %q, want Rated 4/5", line.Text)
	}
	e.deliver(lifecycle(sdk.NoticeActionIgnored, sdk.Notice{SourceChannel: "slack", ActionExternalID: "reaction:Ev1",
		Text: "The conversation is already closed; nothing changed."}), ref)
	if line := lastInThread(t, e.fake, root); !strings.Contains(line.Text, "already closed") || strings.HasPrefix(line.Text, "*") {
		t.Errorf("ignored-action line %q, want the host's sentence posted as the app", line.Text)
	}
	// Neither touched the header.
	if n := len(e.fake.Calls("chat.update")); n != 0 {
		t.Errorf("%d header updates for a rating and an ignored action", n)
	}
}

func TestNoticeRetriedAfterRateLimitPostsOneLine(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)
	claimed := lifecycle(sdk.NoticeConversationClaimed, sdk.Notice{Agent: "Ada Lovelace", State: sdk.StateClaimed,
		Text: "Ada Lovelace claimed the conversation."})
	replies := len(e.fake.Thread(slackfake.ChannelID, root))

	for _, method := range []string{"chat.update", "reactions.add", "chat.postMessage"} {
		e.fake.Inject429(method, 1, 2)
		_, err := e.ch.Deliver(ctx(t), plugintest.SampleDeliver(claimed, ref))
		plugintest.AssertRetryAfter(t, err, time.Second)
	}
	e.deliver(claimed, ref)
	if n := len(e.fake.Thread(slackfake.ChannelID, root)) - replies; n != 1 {
		t.Errorf("%d thread lines after the retries, want 1", n)
	}
	h := readHeader(t, e.fake, root)
	if !strings.Contains(h.texts, "👀 Claimed by Ada Lovelace") || !slices.Equal(h.reactors("eyes"), []string{slackfake.BotUserID}) {
		t.Errorf("header %q, reactions %+v", h.texts, h.reactions)
	}
}

func TestWithoutReactionScopesButtonsAndHeaderStillWork(t *testing.T) {
	scopes := slices.DeleteFunc(slices.Clone(slackfake.BotScopes), func(s string) bool { return strings.HasPrefix(s, "reactions:") })
	e := newEnv(t, nil, slackfake.WithBotScopes(scopes...))
	e.fake.AddUser(grace)
	ref := e.deliver(text("hello"), nil).ThreadRef
	root := parentTS(t, ref)
	if d, err := e.fake.AgentClick(ctx(t), slackfake.ChannelID, root, grace.ID, "parley_close"); err != nil || !d.OK() {
		t.Fatalf("click: %v", err)
	}
	if acts := e.host.Actions(); len(acts) != 1 || acts[0].Kind != sdk.ActionClose {
		t.Fatalf("actions %+v, want the close", acts)
	}
	e.deliver(lifecycle(sdk.NoticeConversationClosed, sdk.Notice{Reason: sdk.CloseByIdle, State: sdk.StateClosed}), ref)
	if h := readHeader(t, e.fake, root); !strings.Contains(h.texts, "✅ Closed after inactivity") {
		t.Errorf("header %q", h.texts)
	}
	if n := len(e.fake.Calls("reactions.add")); n != 0 {
		t.Errorf("%d reactions.add calls without reactions:write", n)
	}
}

func TestMalformedClickIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, body := range []string{"payload=%7Bnot+json", "nothing=here", "payload=%ZZ"} {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		resp, err := e.ch.HandleWebhook(ctx(t), sdk.WebhookRequest{Method: http.MethodPost, Path: "/", Body: []byte(body),
			Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"},
				"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {slackfake.Sign(slackfake.SigningSecret, ts, []byte(body))}}})
		if err != nil || resp.Status != http.StatusBadRequest || len(resp.Actions) != 0 {
			t.Errorf("%q: status %d, actions %v, err %v; want 400", body, resp.Status, resp.Actions, err)
		}
	}
}
