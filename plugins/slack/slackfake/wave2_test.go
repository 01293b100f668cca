package slackfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// receiver is an app's /hooks/<channel> endpoint built as the plugin
// builds it: slack-go's verifier on the raw body, then slackevents for
// JSON events and slack.InteractionCallbackParse for form payloads.
type receiver struct {
	mu     sync.Mutex
	status int // answer for accepted requests; 0 means 200
	events []slackevents.EventsAPIEvent
	raw    [][]byte // event_callback bodies, as received
	clicks []slack.InteractionCallback
	ctypes []string
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sv, err := slack.NewSecretsVerifier(r.Header, slackfake.SigningSecret)
	if err == nil {
		_, _ = sv.Write(body)
		err = sv.Ensure()
	}
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.ctypes = append(rv.ctypes, r.Header.Get("Content-Type"))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		r.Body = io.NopCloser(bytes.NewReader(body))
		ic, err := slack.InteractionCallbackParse(r)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rv.clicks = append(rv.clicks, ic)
	} else {
		ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rv.events = append(rv.events, ev)
		rv.raw = append(rv.raw, body)
	}
	if rv.status != 0 {
		w.WriteHeader(rv.status)
	}
}

func (rv *receiver) setStatus(s int) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.status = s
}

// last returns the inner event of the last event received.
func (rv *receiver) last(t *testing.T) (any, []byte) {
	t.Helper()
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.events) == 0 {
		t.Fatal("no event received")
	}
	return rv.events[len(rv.events)-1].InnerEvent.Data, rv.raw[len(rv.raw)-1]
}

func (rv *receiver) lastClick(t *testing.T) slack.InteractionCallback {
	t.Helper()
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.clicks) == 0 {
		t.Fatal("no interaction received")
	}
	return rv.clicks[len(rv.clicks)-1]
}

// newApp starts a fake with a verifying receiver as its request URL and a
// slack-go client pointed at it.
func newApp(t *testing.T, opts ...slackfake.Option) (*slackfake.Fake, *receiver, *slack.Client) {
	t.Helper()
	f := slackfake.New(append([]slackfake.Option{slackfake.WithRetryDelays(0)}, opts...)...)
	t.Cleanup(f.Close)
	rv := &receiver{}
	ln, u := listen(t)
	srv := &http.Server{Handler: rv}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	f.SetEventsURL(u)
	return f, rv, slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
}

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err == nil {
		return ""
	}
	return "not a Slack error: " + err.Error()
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestReactionsWebAPI(t *testing.T) {
	f, rv, api := newApp(t)
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false))
	if err != nil {
		t.Fatal(err)
	}
	ref := slack.NewRefToMessage(slackfake.ChannelID, ts)
	if err := api.AddReaction("eyes", ref); err != nil {
		t.Fatalf("reactions.add: %v", err)
	}
	if got := f.Reactions(slackfake.ChannelID, ts); len(got) != 1 || got[0].Name != "eyes" ||
		len(got[0].Users) != 1 || got[0].Users[0] != slackfake.BotUserID {
		t.Fatalf("reactions %+v, want eyes by the bot", got)
	}
	// Slack tells the app about its own reaction too.
	if !f.WaitFor(5*time.Second, func() bool {
		rv.mu.Lock()
		defer rv.mu.Unlock()
		for _, ev := range rv.events {
			if ra, ok := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent); ok && ra.User == slackfake.BotUserID && ra.Reaction == "eyes" {
				return true
			}
		}
		return false
	}) {
		t.Error("no reaction_added for the bot's own reaction")
	}

	for _, tt := range []struct {
		name string
		do   func() error
		want string
	}{
		{"twice", func() error { return api.AddReaction("eyes", ref) }, "already_reacted"},
		{"remove one never added", func() error { return api.RemoveReaction("thumbsup", ref) }, "no_reaction"},
		{"colons", func() error { return api.AddReaction(":eyes:", ref) }, "invalid_name"},
		{"no name", func() error { return api.AddReaction("", ref) }, "invalid_name"},
		{"unknown message", func() error {
			return api.AddReaction("eyes", slack.NewRefToMessage(slackfake.ChannelID, "1600000000.000001"))
		}, "message_not_found"},
		{"unknown channel", func() error { return api.AddReaction("eyes", slack.NewRefToMessage("C0NOPE", ts)) }, "channel_not_found"},
		{"no timestamp", func() error { return api.AddReaction("eyes", slack.NewRefToMessage(slackfake.ChannelID, "")) }, "no_item_specified"},
	} {
		if got := slackErr(tt.do()); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}

	if _, err := f.AgentReact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "eyes"); err != nil {
		t.Fatal(err)
	}
	if err := api.AddReaction("thumbsup::skin-tone-2", ref); err != nil {
		t.Fatalf("skin tone: %v", err)
	}
	item, err := api.GetReactions(ref, slack.GetReactionsParameters{Full: true})
	if err != nil {
		t.Fatalf("reactions.get: %v", err)
	}
	if item.Type != "message" || item.Channel != slackfake.ChannelID || item.Message == nil || item.Message.Timestamp != ts ||
		len(item.Reactions) != 2 || item.Reactions[0].Name != "eyes" || item.Reactions[0].Count != 2 ||
		strings.Join(item.Reactions[0].Users, ",") != slackfake.BotUserID+","+slackfake.AgentUserID ||
		item.Reactions[1].Name != "thumbsup::skin-tone-2" {
		t.Errorf("reactions.get gave %+v", item)
	}
	if err := api.RemoveReaction("eyes", ref); err != nil {
		t.Fatalf("reactions.remove: %v", err)
	}
	if got := f.Reactions(slackfake.ChannelID, ts); len(got) != 2 || strings.Join(got[0].Users, ",") != slackfake.AgentUserID {
		t.Errorf("after removing the bot's eyes: %+v, want the agent's left", got)
	}
}

func TestReactionsNeedTheirScopes(t *testing.T) {
	f := slackfake.New(slackfake.WithBotScopes("chat:write"))
	defer f.Close()
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false))
	if err != nil {
		t.Fatal(err)
	}
	ref := slack.NewRefToMessage(slackfake.ChannelID, ts)
	var se slack.SlackErrorResponse
	if err := api.AddReaction("eyes", ref); !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "reactions:write" {
		t.Errorf("reactions.add without reactions:write: %v (needed %q)", err, se.Needed)
	}
	if _, err := api.GetReactions(ref, slack.GetReactionsParameters{}); slackErr(err) != "missing_scope" {
		t.Errorf("reactions.get without reactions:read: %v", err)
	}
	if f.Reactions(slackfake.ChannelID, ts) != nil {
		t.Error("a refused reactions.add was stored")
	}
	// Without reactions:read Slack sends no reaction events: the agent's
	// reaction is stored, and nothing is delivered.
	d, err := f.AgentReact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "eyes")
	if err != nil || d.EventID != "" || len(f.Reactions(slackfake.ChannelID, ts)) != 1 {
		t.Errorf("delivery %+v (%v), reactions %+v: want stored and not sent", d, err, f.Reactions(slackfake.ChannelID, ts))
	}
	for _, d := range f.Deliveries() {
		if strings.Contains(string(d.Body), "reaction_added") {
			t.Errorf("a reaction event went out without reactions:read: %s", d.Body)
		}
	}

	// Error details reach slack-go: conversations.list names the scope a
	// private channel listing needs.
	g := slackfake.New(slackfake.WithBotScopes("channels:read"))
	defer g.Close()
	_, _, body := call(t, g, "conversations.list", url.Values{"types": {"private_channel"}}, slackfake.BotToken)
	if body["error"] != "missing_scope" || body["needed"] != "groups:read" {
		t.Errorf("conversations.list answered %v, want missing_scope needing groups:read", body)
	}
}

func TestAgentReactionsReachTheApp(t *testing.T) {
	f, rv, api := newApp(t)
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.AgentReact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "white_check_mark")
	if err != nil || !d.OK() || d.Kind != slackfake.KindEvent {
		t.Fatalf("delivery %+v (%v)", d, err)
	}
	inner, raw := rv.last(t)
	ra, ok := inner.(*slackevents.ReactionAddedEvent)
	if !ok {
		t.Fatalf("got %T, want reaction_added", inner)
	}
	if ra.User != slackfake.AgentUserID || ra.Reaction != "white_check_mark" || ra.ItemUser != slackfake.BotUserID ||
		ra.Item.Type != "message" || ra.Item.Channel != slackfake.ChannelID || ra.Item.Timestamp != ts || ra.EventTimestamp == "" {
		t.Errorf("reaction_added %+v", ra)
	}
	var env struct {
		Event map[string]any `json:"event"`
	}
	_ = json.Unmarshal(raw, &env)
	for _, k := range []string{"type", "user", "reaction", "item", "item_user", "event_ts"} {
		if _, ok := env.Event[k]; !ok {
			t.Errorf("reaction_added lacks %q: %s", k, raw)
		}
	}

	if _, err := f.AgentReact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "white_check_mark"); err == nil ||
		!strings.Contains(err.Error(), "already_reacted") {
		t.Errorf("reacting twice: %v, want already_reacted", err)
	}
	if _, err := f.AgentUnreact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "white_check_mark"); err != nil {
		t.Fatal(err)
	}
	inner, _ = rv.last(t)
	rr, ok := inner.(*slackevents.ReactionRemovedEvent)
	if !ok || rr.User != slackfake.AgentUserID || rr.Reaction != "white_check_mark" || rr.Item.Timestamp != ts {
		t.Errorf("got %T %+v, want reaction_removed", inner, inner)
	}
	if f.Reactions(slackfake.ChannelID, ts) != nil {
		t.Error("the reaction is still stored")
	}
	if _, err := f.AgentUnreact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "white_check_mark"); err == nil {
		t.Error("removing a reaction twice succeeded")
	}
}

// socketApp connects a slack-go Socket Mode client to the fake and returns
// its events.
func socketApp(t *testing.T, f *slackfake.Fake) (*socketmode.Client, chan socketmode.Event) {
	t.Helper()
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(slackfake.AppToken))
	sm := socketmode.New(api)
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sm.RunContext(c); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	out := make(chan socketmode.Event, 16)
	go func() {
		for {
			select {
			case ev := <-sm.Events:
				if ev.Type == socketmode.EventTypeEventsAPI || ev.Type == socketmode.EventTypeInteractive {
					out <- ev
				}
			case <-c.Done():
				return
			}
		}
	}()
	if !f.WaitFor(5*time.Second, func() bool { _, open := f.SocketConnections(); return open == 1 }) {
		t.Fatal("the Socket Mode client did not connect")
	}
	return sm, out
}

func next(t *testing.T, ch chan socketmode.Event) socketmode.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no Socket Mode event")
	}
	return socketmode.Event{}
}

func TestReactionOverSocketMode(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	sm, events := socketApp(t, f)
	_, ts, err := sm.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false))
	if err != nil {
		t.Fatal(err)
	}
	sm.Ack(*next(t, events).Request) // the echo of the post
	if _, err := f.AgentReact(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "eyes"); err != nil {
		t.Fatal(err)
	}
	ev := next(t, events)
	api, ok := ev.Data.(slackevents.EventsAPIEvent)
	if !ok {
		t.Fatalf("got %T", ev.Data)
	}
	ra, ok := api.InnerEvent.Data.(*slackevents.ReactionAddedEvent)
	if !ok || ra.User != slackfake.AgentUserID || ra.Reaction != "eyes" || ra.Item.Timestamp != ts {
		t.Fatalf("got %T %+v", api.InnerEvent.Data, api.InnerEvent.Data)
	}
	sm.Ack(*ev.Request)
}

// claimClose is the header the plugin will post: a section and the Claim
// and Close buttons.
func claimClose() slack.MsgOption {
	return slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*#42* Ann", false, false), nil, nil),
		slack.NewActionBlock("state",
			slack.NewButtonBlockElement("claim", "conv-42", slack.NewTextBlockObject(slack.PlainTextType, "Claim", false, false)),
			slack.NewButtonBlockElement("close", "conv-42", slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false)).
				WithStyle(slack.StyleDanger)),
	)
}

func TestBlocksAreValidated(t *testing.T) {
	f, _, api := newApp(t)
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false), claimClose())
	if err != nil {
		t.Fatal(err)
	}
	button := `{"type":"button","text":{"type":"plain_text","text":"Go"},"action_id":"go"}`
	for _, tt := range []struct{ name, blocks string }{
		{"not JSON", `[{`},
		{"not an array", `{"type":"section"}`},
		{"not objects", `["section"]`},
		{"no type", `[{"text":{"type":"mrkdwn","text":"x"}}]`},
		{"section without text", `[{"type":"section"}]`},
		{"header in mrkdwn", `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`},
		{"actions without elements", `[{"type":"actions"}]`},
		{"button without text", `[{"type":"actions","elements":[{"type":"button","action_id":"a"}]}]`},
		{"duplicate action_id", `[{"type":"actions","elements":[` + button + `,` + button + `]}]`},
		{"duplicate block_id", `[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`},
		{"51 blocks", "[" + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 51), ",") + "]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, body := call(t, f, "chat.postMessage", url.Values{"channel": {slackfake.ChannelID}, "text": {"x"}, "blocks": {tt.blocks}}, slackfake.BotToken)
			if body["error"] != "invalid_blocks" {
				t.Errorf("post answered %v, want invalid_blocks", body)
			}
			if errs, _ := body["errors"].([]any); len(errs) == 0 {
				t.Errorf("invalid_blocks without errors: %v", body)
			}
			_, _, body = call(t, f, "chat.update", url.Values{"channel": {slackfake.ChannelID}, "ts": {ts}, "text": {"x"}, "blocks": {tt.blocks}}, slackfake.BotToken)
			if body["error"] != "invalid_blocks" {
				t.Errorf("update answered %v, want invalid_blocks", body)
			}
		})
	}
	_, _, _, err = api.UpdateMessage(slackfake.ChannelID, ts, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(slack.NewActionBlock("")))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.ResponseMetadata.Messages) == 0 {
		t.Errorf("slack-go got %v (%+v), want invalid_blocks with messages", err, se.ResponseMetadata)
	}
	msgs := f.Messages(slackfake.ChannelID)
	if len(msgs) != 1 || msgs[0].Text != "header" || !strings.Contains(msgs[0].Blocks, `"action_id":"claim"`) {
		t.Errorf("messages %+v, want only the valid header, unchanged", msgs)
	}
}

func TestClickOverHTTP(t *testing.T) {
	f, rv, api := newApp(t)
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false), claimClose())
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.AgentClick(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "close")
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != slackfake.KindInteractive || len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusOK || !d.OK() {
		t.Fatalf("delivery %+v, want one acknowledged interactive attempt", d)
	}
	form, err := url.ParseQuery(string(d.Body))
	if err != nil || len(form) != 1 || form.Get("payload") != string(d.Payload) {
		t.Errorf("body %q is not one payload= field holding %q", d.Body, d.Payload)
	}
	ic := rv.lastClick(t)
	rv.mu.Lock()
	ct := rv.ctypes[len(rv.ctypes)-1]
	rv.mu.Unlock()
	if ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	if ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != slackfake.AgentUserID || ic.User.Name != "alice" ||
		ic.Container.Type != "message" || ic.Container.MessageTs != ts || ic.Container.ChannelID != slackfake.ChannelID ||
		ic.Channel.ID != slackfake.ChannelID || ic.Message.Timestamp != ts || ic.Message.Text != "header" ||
		ic.APIAppID != slackfake.AppID || ic.Team.ID != slackfake.TeamID ||
		!strings.HasPrefix(ic.ResponseURL, f.URL()+"/actions/") || ic.TriggerID == "" {
		t.Errorf("payload %+v", ic)
	}
	if len(ic.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions %+v, want one block action", ic.ActionCallback)
	}
	a := ic.ActionCallback.BlockActions[0]
	if a.ActionID != "close" || a.Value != "conv-42" || a.BlockID != "state" || a.Type != "button" ||
		a.Text.Text != "Close" || a.ActionTs == "" {
		t.Errorf("action %+v", a)
	}
	if len(ic.Message.Blocks.BlockSet) != 2 {
		t.Errorf("the payload's message has %d blocks, want the header's 2", len(ic.Message.Blocks.BlockSet))
	}
	var raw map[string]any
	_ = json.Unmarshal(d.Payload, &raw)
	if u, _ := raw["user"].(map[string]any); u["username"] != "alice" {
		t.Errorf("user %v lacks username", raw["user"])
	}

	// A failing app gets one attempt, recorded; Slack does not retry.
	rv.setStatus(http.StatusInternalServerError)
	d, err = f.AgentClick(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "claim")
	if err != nil || len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusInternalServerError || d.OK() {
		t.Errorf("delivery %+v (%v), want one attempt answered 500", d, err)
	}
	rv.setStatus(0)
	if status, err := f.SendInteractionWithBadSignature(ctx(t), map[string]any{"type": "block_actions"}); err != nil || status != http.StatusUnauthorized {
		t.Errorf("bad signature answered %d (%v) by a verifying app", status, err)
	}
	if _, err := f.AgentClick(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "reopen"); err == nil {
		t.Error("clicked a button the message does not have")
	}
	if _, err := f.AgentClick(ctx(t), slackfake.ChannelID, "1600000000.000001", slackfake.AgentUserID, "close"); err == nil {
		t.Error("clicked on a message that does not exist")
	}

	// The response_url replaces the original, as chat.update would.
	res, err := http.Post(ic.ResponseURL, "application/json", strings.NewReader(`{"replace_original":true,"text":"Closed by Alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || f.Messages(slackfake.ChannelID)[0].Text != "Closed by Alice" {
		t.Errorf("response_url answered %d; message %+v", res.StatusCode, f.Messages(slackfake.ChannelID)[0])
	}
	if posts := f.ResponseURLPosts(); len(posts) != 1 || posts[0].Status != http.StatusOK {
		t.Errorf("response_url posts %+v", posts)
	}
}

// Blocks without ids get Slack-assigned ones, and a click names them.
func TestClickGeneratedIDs(t *testing.T) {
	f, rv, api := newApp(t)
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("", slack.NewButtonBlockElement("", "v", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	var ev *slackevents.MessageEvent
	f.WaitFor(5*time.Second, func() bool {
		rv.mu.Lock()
		defer rv.mu.Unlock()
		for _, e := range rv.events {
			if m, ok := e.InnerEvent.Data.(*slackevents.MessageEvent); ok && m.TimeStamp == ts {
				ev = m
				return true
			}
		}
		return false
	})
	if ev == nil || len(ev.Message.Blocks.BlockSet) != 1 {
		t.Fatalf("echo %+v", ev)
	}
	ab := ev.Message.Blocks.BlockSet[0].(*slack.ActionBlock)
	btn := ab.Elements.ElementSet[0].(*slack.ButtonBlockElement)
	if ab.BlockID == "" || btn.ActionID == "" {
		t.Fatalf("echo has block_id %q action_id %q, want both filled in", ab.BlockID, btn.ActionID)
	}
	if _, err := f.AgentClick(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, btn.ActionID); err != nil {
		t.Fatal(err)
	}
	a := rv.lastClick(t).ActionCallback.BlockActions
	if len(a) != 1 || a[0].BlockID != ab.BlockID || a[0].ActionID != btn.ActionID || a[0].Value != "v" {
		t.Errorf("actions %+v, want the ids the echo showed", a)
	}
}

func TestClickOverSocketMode(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	sm, events := socketApp(t, f)
	_, ts, err := sm.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false), claimClose())
	if err != nil {
		t.Fatal(err)
	}
	sm.Ack(*next(t, events).Request) // the echo of the post
	type result struct {
		d   slackfake.Delivery
		err error
	}
	got := make(chan result, 1)
	go func() {
		d, err := f.AgentClick(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "claim")
		got <- result{d, err}
	}()
	ev := next(t, events)
	if ev.Type != socketmode.EventTypeInteractive || ev.Request.Type != "interactive" {
		t.Fatalf("event %s (envelope %q), want interactive", ev.Type, ev.Request.Type)
	}
	ic, ok := ev.Data.(slack.InteractionCallback)
	if !ok || ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != slackfake.AgentUserID ||
		ic.Container.MessageTs != ts || len(ic.ActionCallback.BlockActions) != 1 ||
		ic.ActionCallback.BlockActions[0].ActionID != "claim" || ic.ActionCallback.BlockActions[0].Value != "conv-42" {
		t.Fatalf("payload %T %+v", ev.Data, ev.Data)
	}
	r := <-got
	if r.err != nil || !r.d.Socket || r.d.EnvelopeID != ev.Request.EnvelopeID || r.d.Kind != slackfake.KindInteractive {
		t.Fatalf("delivery %+v (%v)", r.d, r.err)
	}
	if f.Acked(r.d.EnvelopeID) {
		t.Fatal("acked before the app acknowledged")
	}
	sm.Ack(*ev.Request)
	if !f.WaitFor(5*time.Second, func() bool { return f.Acked(r.d.EnvelopeID) }) {
		t.Error("the ack was not recorded")
	}
}

func TestDeletes(t *testing.T) {
	f, rv, api := newApp(t)
	_, root, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false))
	if err != nil {
		t.Fatal(err)
	}
	reply, _, err := f.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "oops")
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.AgentDelete(ctx(t), slackfake.ChannelID, reply)
	if err != nil || !d.OK() {
		t.Fatalf("delivery %+v (%v)", d, err)
	}
	inner, raw := rv.last(t)
	ev, ok := inner.(*slackevents.MessageEvent)
	if !ok || ev.SubType != slack.MsgSubTypeMessageDeleted || ev.DeletedTimeStamp != reply || ev.Channel != slackfake.ChannelID ||
		ev.PreviousMessage == nil || ev.PreviousMessage.Text != "oops" || ev.PreviousMessage.User != slackfake.AgentUserID ||
		ev.PreviousMessage.ThreadTimestamp != root {
		t.Fatalf("got %T %+v", inner, inner)
	}
	if !bytes.Contains(raw, []byte(`"hidden":true`)) {
		t.Errorf("message_deleted is not hidden: %s", raw)
	}
	if len(f.Thread(slackfake.ChannelID, root)) != 0 || len(f.Deleted(slackfake.ChannelID)) != 1 {
		t.Errorf("thread %+v deleted %+v", f.Thread(slackfake.ChannelID, root), f.Deleted(slackfake.ChannelID))
	}
	if _, err := f.AgentDelete(ctx(t), slackfake.ChannelID, reply); err == nil {
		t.Error("deleted a message twice")
	}

	// chat.delete: the app deletes its own messages only.
	human, _, err := f.AgentReply(ctx(t), slackfake.ChannelID, root, slackfake.AgentUserID, "mine")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.DeleteMessage(slackfake.ChannelID, human); slackErr(err) != "cant_delete_message" {
		t.Errorf("deleting a human's message: %v", err)
	}
	if _, _, err := api.DeleteMessage(slackfake.ChannelID, "1600000000.000001"); slackErr(err) != "message_not_found" {
		t.Errorf("deleting an unknown message: %v", err)
	}
	ch, ts, err := api.DeleteMessage(slackfake.ChannelID, root)
	if err != nil || ch != slackfake.ChannelID || ts != root {
		t.Fatalf("chat.delete answered %q %q (%v)", ch, ts, err)
	}
	if len(f.Roots(slackfake.ChannelID)) != 0 {
		t.Error("the deleted root is still there")
	}
	if !f.WaitFor(5*time.Second, func() bool {
		inner, _ := rv.last(t)
		ev, ok := inner.(*slackevents.MessageEvent)
		return ok && ev.SubType == slack.MsgSubTypeMessageDeleted && ev.DeletedTimeStamp == root &&
			ev.PreviousMessage != nil && ev.PreviousMessage.BotID == slackfake.BotID
	}) {
		t.Error("no message_deleted for chat.delete")
	}
}

func TestAvatarOverrides(t *testing.T) {
	const icon = "https://parley.example/files/avatar-1.jpg"
	post := func(f *slackfake.Fake) slackfake.Message {
		t.Helper()
		api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
		_, _, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("hi", false),
			slack.MsgOptionUsername("Ann Smith"), slack.MsgOptionIconURL(icon))
		if err != nil {
			t.Fatal(err)
		}
		return f.Messages(slackfake.ChannelID)[0]
	}
	f := slackfake.New()
	defer f.Close()
	if m := post(f); m.Username != "Ann Smith" || m.IconURL != icon || m.Args["icon_url"] != icon {
		t.Errorf("with chat:write.customize: %+v", m)
	}
	// Without the scope Slack silently ignores the overrides.
	g := slackfake.New(slackfake.WithBotScopes("chat:write"))
	defer g.Close()
	if m := post(g); m.Username != "" || m.IconURL != "" || m.Args["icon_url"] != icon {
		t.Errorf("without chat:write.customize: %+v", m)
	}
}

func TestUsersInfoNamesAndAvatar(t *testing.T) {
	f := slackfake.New()
	defer f.Close()
	f.AddUser(slackfake.User{ID: "U0GRACE", Name: "grace", RealName: "Grace Hopper", DisplayName: "",
		Image72: "https://avatars.example/grace-72.png"})
	api := slack.New(slackfake.BotToken, slack.OptionAPIURL(f.APIURL()))
	u, err := api.GetUserInfo("U0GRACE")
	if err != nil {
		t.Fatal(err)
	}
	if u.Profile.DisplayName != "" || u.Profile.RealName != "Grace Hopper" || u.RealName != "Grace Hopper" ||
		u.Name != "grace" || u.Profile.Image72 != "https://avatars.example/grace-72.png" {
		t.Errorf("user %+v profile %+v", u, u.Profile)
	}
	a, err := api.GetUserInfo(slackfake.AgentUserID)
	if err != nil || a.Profile.DisplayName != "Alice" || a.Profile.Image72 == "" {
		t.Errorf("agent %+v (%v)", a, err)
	}
	if _, err := api.GetUserInfo("U0NOPE"); slackErr(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	f, rv, api := newApp(t)
	_, ts, err := api.PostMessage(slackfake.ChannelID, slack.MsgOptionText("header", false), claimClose())
	if err != nil {
		t.Fatal(err)
	}
	click := func() string {
		t.Helper()
		if _, err := f.AgentClick(ctx(t), slackfake.ChannelID, ts, slackfake.AgentUserID, "claim"); err != nil {
			t.Fatal(err)
		}
		return rv.lastClick(t).ResponseURL
	}
	post := func(u, body string) int {
		t.Helper()
		res, err := http.Post(u, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	u := click()
	// The default response is ephemeral: recorded, not stored.
	if s := post(u, `{"text":"only you see this"}`); s != http.StatusOK || len(f.Messages(slackfake.ChannelID)) != 1 {
		t.Errorf("ephemeral answered %d; messages %+v", s, f.Messages(slackfake.ChannelID))
	}
	if s := post(u, `{"response_type":"in_channel","text":"claimed","thread_ts":"`+ts+`"}`); s != http.StatusOK ||
		len(f.Thread(slackfake.ChannelID, ts)) != 1 || f.Thread(slackfake.ChannelID, ts)[0].Text != "claimed" {
		t.Errorf("in_channel answered %d; thread %+v", s, f.Thread(slackfake.ChannelID, ts))
	}
	if s := post(u, `{"replace_original":"true","blocks":[{"type":"section"}]}`); s != http.StatusBadRequest {
		t.Errorf("invalid blocks answered %d", s)
	}
	if s := post(u, `not json`); s != http.StatusBadRequest {
		t.Errorf("a body that is not JSON answered %d", s)
	}
	// Five uses (failed ones count), then Slack refuses the URL.
	if s := post(u, `{"text":"fifth"}`); s != http.StatusOK {
		t.Errorf("a fifth use answered %d", s)
	}
	if s := post(u, `{"text":"again"}`); s != http.StatusNotFound {
		t.Errorf("a sixth use answered %d", s)
	}
	if s := post(click()+"x", `{"text":"forged"}`); s != http.StatusNotFound {
		t.Errorf("a forged URL answered %d", s)
	}
	if s := post(click(), `{"delete_original":true}`); s != http.StatusOK || len(f.Roots(slackfake.ChannelID)) != 0 {
		t.Errorf("delete_original answered %d; roots %+v", s, f.Roots(slackfake.ChannelID))
	}
	if n := len(f.ResponseURLPosts()); n != 8 {
		t.Errorf("%d response_url posts recorded, want 8", n)
	}
}
