package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// routingTests are the subtests of routes, menus and transfers.
var routingTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"Routing/Rules", testRouteRules},
	{"Routing/Undecided", testRouteUndecided},
	{"Routing/Menu", testRouteMenu},
	{"Routing/MenuInOneBatch", testRouteMenuBatch},
	{"Routing/MenuTimeout", testRouteMenuTimeout},
	{"Routing/Transfer", testTransfer},
	{"Routing/TransferDedupe", testTransferDedupe},
}

var everyDesk = []string{"slack", "helpscout", "hipchat"}

// commitRouted stores an update with a routing decision.
func (e *env) commitRouted(update, chat int64, r *store.Routing, start *string, msgs ...sdk.Message) store.CommitResult {
	e.t.Helper()
	res, err := e.s.CommitInbound(e.ctx, store.Inbound{UpdateID: update, ChatID: chat, Contact: contact(chat), Messages: msgs,
		Channels: everyDesk, Routing: r, StartPayload: start, Time: e.now})
	if err != nil {
		e.t.Fatalf("CommitInbound(update %d): %v", update, err)
	}
	return res
}

func testRouteRules(t *testing.T, e *env) {
	// A conversation started by a rule goes to the rule's channels, and
	// stays there whatever later updates decide.
	c := e.commitRouted(1, 10, &store.Routing{Channels: []string{"helpscout"}}, nil, text("m1", "refund please")).Conversation
	mustEqual(t, c.RouteState, store.RouteSet, "route state")
	mustEqual(t, c.Route, []string{"helpscout"}, "route")
	e.commitRouted(2, 10, &store.Routing{Channels: []string{"slack"}}, nil, text("m2", "still me"))
	// A conversation from before routing (no route) keeps every channel.
	old := e.commit(3, 20, everyDesk, text("o1", "hi")).Conversation
	mustEqual(t, old.RouteState, store.RouteDefault, "an unrouted conversation")
	e.commitRouted(4, 20, &store.Routing{Channels: []string{"slack"}}, nil, text("o2", "again"))
	got, _ := e.drain()
	mustEqual(t, got, map[string][]string{
		c.ID + "/helpscout": {"m1", "m2"},
		old.ID + "/slack":   {"o1", "o2"}, old.ID + "/helpscout": {"o1", "o2"}, old.ID + "/hipchat": {"o1", "o2"},
	}, "lanes")
	read, err := e.s.Conversation(e.ctx, c.ID)
	if err != nil || read.RouteState != store.RouteSet || !slices.Equal(read.Route, []string{"helpscout"}) {
		t.Fatalf("read back: %+v, %v", read, err)
	}
}

func testRouteUndecided(t *testing.T, e *env) {
	// A bare /start decides nothing; the first message does.
	empty := ""
	c := e.commitRouted(1, 10, &store.Routing{}, &empty).Conversation
	mustEqual(t, c.RouteState, store.RouteUndecided, "after a bare /start")
	c = e.commitRouted(2, 10, &store.Routing{Channels: []string{"hipchat"}}, nil, text("m1", "hello")).Conversation
	mustEqual(t, c.RouteState, store.RouteSet, "after the first message")
	got, _ := e.drain()
	mustEqual(t, got, map[string][]string{c.ID + "/hipchat": {"m1"}}, "lanes")
}

// menuQuestion claims the host replies and returns the menu id asked.
func (e *env) menuQuestion() string {
	e.t.Helper()
	id := ""
	for _, r := range e.claimReplies("w", 100, later()) {
		if err := e.s.CompleteReply(e.ctx, r.ID, "w", []int64{1}); err != nil {
			e.t.Fatal(err)
		}
		if m, ok := store.MenuOf(r); ok {
			id = m
		}
	}
	if id == "" {
		e.t.Fatal("no menu was asked")
	}
	return id
}

func (e *env) tap(update int64, menu string, chat int64, channels ...string) store.MenuOutcome {
	e.t.Helper()
	res, err := e.s.ChooseRoute(e.ctx, store.MenuTap{UpdateID: update, MenuID: menu, ChatID: chat, Channels: channels})
	if err != nil {
		e.t.Fatalf("ChooseRoute: %v", err)
	}
	return res.Outcome
}

func testRouteMenu(t *testing.T, e *env) {
	empty := ""
	menu := &store.Routing{Menu: &store.MenuAsk{Question: "What is it about?"}}
	c := e.commitRouted(1, 10, menu, &empty).Conversation
	mustEqual(t, c.RouteState, store.RouteMenu, "after /start")
	id := e.menuQuestion()
	// Text before the tap waits, in order, however later updates route.
	e.commitRouted(2, 10, &store.Routing{Channels: everyDesk}, nil, text("m1", "first"))
	e.commitRouted(3, 10, &store.Routing{Channels: everyDesk}, nil, text("m2", "second"))
	got, _ := e.drain()
	mustEqual(t, len(got), 0, "deliveries before the tap")

	mustEqual(t, e.tap(4, id, 99, "slack"), store.MenuExpired, "another chat's tap")
	mustEqual(t, e.tap(5, "nosuchmenu", 10, "slack"), store.MenuExpired, "an unknown menu")
	mustEqual(t, e.tap(6, id, 10, "hipchat"), store.MenuRouted, "the tap")
	mustEqual(t, e.tap(6, id, 10, "hipchat"), store.MenuDuplicate, "the same update again")
	mustEqual(t, e.tap(7, id, 10, "slack"), store.MenuExpired, "a second tap")
	e.commitRouted(8, 10, nil, nil, text("m3", "third"))
	got, _ = e.drain()
	mustEqual(t, got, map[string][]string{c.ID + "/hipchat": {"m1", "m2", "m3"}}, "lanes after the tap")
}

func testRouteMenuBatch(t *testing.T, e *env) {
	b, ok := e.s.(store.InboundBatcher)
	if !ok {
		t.Skip("not a batcher")
	}
	empty := ""
	ins := []store.Inbound{
		{UpdateID: 1, ChatID: 10, Contact: contact(10), StartPayload: &empty, Channels: everyDesk,
			Routing: &store.Routing{Menu: &store.MenuAsk{Question: "Q"}}, Time: e.now,
			Answer: &sdk.Reply{ExternalID: "welcome:1", Text: "Hello"}},
		{UpdateID: 2, ChatID: 10, Contact: contact(10), Messages: []sdk.Message{text("m1", "before the tap")}, Channels: everyDesk,
			Routing: &store.Routing{Channels: everyDesk}, Time: e.now},
	}
	if _, err := b.CommitInbounds(e.ctx, ins); err != nil {
		t.Fatal(err)
	}
	// The welcome, then the question.
	rs := e.claimReplies("w", 100, later())
	if len(rs) != 1 || rs[0].Reply.ExternalID != "welcome:1" {
		t.Fatalf("first reply: %+v", rs)
	}
	if err := e.s.CompleteReply(e.ctx, rs[0].ID, "w", []int64{1}); err != nil {
		t.Fatal(err)
	}
	id := e.menuQuestion()
	got, _ := e.drain()
	mustEqual(t, len(got), 0, "deliveries before the tap")
	mustEqual(t, e.tap(3, id, 10, "slack"), store.MenuRouted, "the tap")
	got, _ = e.drain()
	if len(got) != 1 || len(got[firstKey(got)]) != 1 || !strings.HasSuffix(firstKey(got), "/slack") {
		t.Fatalf("lanes: %v", got)
	}
}

func firstKey(m map[string][]string) string {
	for k := range m {
		return k
	}
	return ""
}

func testRouteMenuTimeout(t *testing.T, e *env) {
	empty := ""
	menu := &store.Routing{Menu: &store.MenuAsk{Question: "Q"}}
	c := e.commitRouted(1, 10, menu, &empty).Conversation
	id := e.menuQuestion()
	e.commitRouted(2, 10, nil, nil, text("m1", "waiting"))
	other := e.commitRouted(3, 20, menu, &empty).Conversation
	route := func(c store.Conversation) []string { return []string{"slack", "hipchat"} }
	n, err := e.s.ExpireMenus(e.ctx, time.Now().Add(-time.Hour), 10, route)
	if err != nil || n != 0 {
		t.Fatalf("ExpireMenus before the timeout: %d, %v", n, err)
	}
	n, err = e.s.ExpireMenus(e.ctx, time.Now().Add(time.Hour), 1, route)
	if err != nil || n != 1 {
		t.Fatalf("ExpireMenus: %d, %v", n, err)
	}
	n, err = e.s.ExpireMenus(e.ctx, time.Now().Add(time.Hour), 10, route)
	if err != nil || n != 1 {
		t.Fatalf("ExpireMenus, the second: %d, %v", n, err)
	}
	mustEqual(t, e.tap(4, id, 10, "helpscout"), store.MenuExpired, "a tap after the timeout")
	got, _ := e.drain()
	mustEqual(t, got, map[string][]string{c.ID + "/slack": {"m1"}, c.ID + "/hipchat": {"m1"}}, "lanes")
	o, err := e.s.Conversation(e.ctx, other.ID)
	if err != nil || o.RouteState != store.RouteSet || !slices.Equal(o.Route, []string{"slack", "hipchat"}) {
		t.Fatalf("the other conversation: %+v, %v", o, err)
	}
}

func testTransfer(t *testing.T, e *env) {
	c := e.commitRouted(1, 10, &store.Routing{Channels: []string{"slack"}}, nil, text("m1", "my invoice is wrong")).Conversation
	e.drain()
	e.commitReplies("slack", sdk.Reply{ConversationID: c.ID, ExternalID: "r1", Author: "Ann", Text: "Let me check"})
	res, err := e.s.Transfer(e.ctx, store.Transfer{ConversationID: c.ID, Channels: []string{"helpscout"}, History: store.TransferHistory})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, res.From, []string{"slack"}, "from")
	e.commitRouted(2, 10, &store.Routing{Channels: []string{"slack"}}, nil, text("m2", "any news?"))
	_, ds := e.drain()
	var lanes []string
	for _, d := range ds {
		what := d.Message.ID
		if n := d.Message.Notice; n != nil {
			what = string(n.Code)
			mustEqual(t, n.Channels, []string{"helpscout"}, "the notice's channels")
			if d.Channel == "helpscout" && (!strings.Contains(n.Text, "customer: my invoice is wrong") || !strings.Contains(n.Text, "Ann: Let me check")) {
				t.Errorf("the context lacks the history: %q", n.Text)
			}
		}
		lanes = append(lanes, d.Channel+":"+what)
	}
	slices.Sort(lanes)
	mustEqual(t, lanes, []string{"helpscout:m2", "helpscout:transfer", "slack:transfer"}, "deliveries after the transfer")
	if _, err := e.s.Transfer(e.ctx, store.Transfer{ConversationID: "c_nosuch", Channels: []string{"slack"}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown conversation: %v", err)
	}
}

func testTransferDedupe(t *testing.T, e *env) {
	conv := e.inTwoDesks(1)
	tr := store.Transfer{Channel: "slack", ThreadRef: []byte("T1slack"), ExternalID: "a1", Agent: "Ann", Channels: []string{"helpscout"}, History: 5}
	res, err := e.s.Transfer(e.ctx, tr)
	if err != nil || res.Duplicate {
		t.Fatalf("Transfer: %+v, %v", res, err)
	}
	if res, err := e.s.Transfer(e.ctx, tr); err != nil || !res.Duplicate {
		t.Fatalf("the same action again: %+v, %v", res, err)
	}
	got, _ := e.drain()
	mustEqual(t, got, map[string][]string{conv.ID + "/helpscout": {"transfer"}, conv.ID + "/slack": {"transfer"}, conv.ID + "/hipchat": {"transfer"}}, "lanes")
	tr.ExternalID, tr.ThreadRef = "a2", []byte("no such thread")
	if _, err := e.s.Transfer(e.ctx, tr); !errors.Is(err, store.ErrUnknownConversation) {
		t.Errorf("an unknown thread: %v", err)
	}
	// slack left the conversation: it cannot move it again.
	tr.ExternalID, tr.ThreadRef, tr.ConversationID = "a3", nil, conv.ID
	if _, err := e.s.Transfer(e.ctx, tr); !errors.Is(err, store.ErrUnknownConversation) {
		t.Errorf("a transfer by a desk the conversation left: %v", err)
	}
}
