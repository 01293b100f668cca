package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// routedWorld runs the host with two webhook desks: "desk" (e.desk) and
// "sales" (the returned desk), and the routing TOML given.
func routedWorld(t *testing.T, routing string) (*env, *webhookdesk.Desk) {
	t.Helper()
	sales := webhookdesk.New(deskSecret)
	if err := sales.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sales.Close)
	e := newEnvWith(t, envOptions{ExtraTOML: routing})
	e.opts.Channels = deskTable(e) + fmt.Sprintf(`
[channels.sales]
plugin = "webhook"
[channels.sales.config]
url = %q
secret = "${E2E_DESK_SECRET}"
timeout = "5s"
`, sales.URL())
	e.writeConfig()
	e.start()
	return e, sales
}

// waitText waits until d received a message of conversation conv (any,
// when "") whose text contains substr, and returns it.
func waitText(t *testing.T, e *env, d *webhookdesk.Desk, name, substr string) webhookdesk.Delivery {
	t.Helper()
	var got webhookdesk.Delivery
	if !d.WaitFor(20*time.Second, func(ds []webhookdesk.Delivery) bool {
		for _, x := range ds {
			if strings.Contains(x.Message.Text, substr) {
				got = x
				return true
			}
		}
		return false
	}) {
		t.Fatalf("%s never got %q; it got %+v\n%s", name, substr, d.Received(), tail(e.Logs(), 40))
	}
	return got
}

// queuedTo lists the channels the store queued messages of conversation
// conv to, as parley outbox --all shows them, once per channel.
func queuedTo(t *testing.T, e *env, conv string) []string {
	t.Helper()
	out, code := e.parley(t, "outbox", "--all")
	if code != 0 {
		t.Fatalf("parley outbox --all: %d %s", code, out)
	}
	var chans []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasPrefix(f[0], "delivery:") && f[2] == conv && !contains(chans, f[1]) {
			chans = append(chans, f[1])
		}
	}
	sort.Strings(chans)
	return chans
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

const routingRules = `
[[telegram.routes]]
start_payload = "billing"
channels = ["sales"]
[[telegram.routes]]
language = ["de"]
channels = ["sales"]
[[telegram.routes]]
keyword = "(?i)refund|invoice"
channels = ["sales"]
`

// Each rule routes a conversation when it starts, and it stays there: a
// deep link's payload, the user's language, a keyword of the first
// message; a conversation no rule takes goes to every desk.
func TestRoutingRules(t *testing.T) {
	e, sales := routedWorld(t, routingRules)

	payer := e.tg.AddUser(telego.User{FirstName: "Pat", LanguageCode: "en"})
	e.tg.SendText(payer.ID, "/start billing")
	e.tg.SendText(payer.ID, "my card was charged twice")
	berta := e.tg.AddUser(telego.User{FirstName: "Berta", LanguageCode: "de-AT"})
	e.tg.SendText(berta.ID, "Hallo, eine Frage")
	rex := e.tg.AddUser(telego.User{FirstName: "Rex", LanguageCode: "en"})
	e.tg.SendText(rex.ID, "I want a REFUND")
	e.tg.SendText(rex.ID, "hello? anyone")
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	e.tg.SendText(ann.ID, "where is my parcel")

	for _, c := range []struct {
		text string
		want string
	}{
		{"charged twice", "sales"},
		{"eine Frage", "sales"},
		{"hello? anyone", "sales"}, // the first message decided; this one has no keyword
		{"where is my parcel", "desk,sales"},
	} {
		d := waitText(t, e, sales, "sales", c.text)
		if got := strings.Join(queuedTo(t, e, d.ConversationID), ","); got != c.want {
			t.Errorf("%q was queued to %s, want %s", c.text, got, c.want)
		}
	}
	waitText(t, e, e.desk, "desk", "where is my parcel")
}

const menuTOML = `
[telegram.menu]
question = "What is it about?"
options = [{ label = "Sales", channels = ["sales"] }, { label = "Support", channels = ["desk"] }]
`

// menuOf waits for the menu sent to chat and returns it with its buttons.
func (e *env) menuOf(t *testing.T, chat int64) (msgID int, labels, data []string) {
	t.Helper()
	if !waitUntil(20*time.Second, func() bool { return len(e.ratingQuestions(chat)) > 0 }) {
		t.Fatalf("no menu was sent: %+v\n%s", e.tg.SentTo(chat), tail(e.Logs(), 40))
	}
	q := e.ratingQuestions(chat)[0]
	if q.Text != "What is it about?" {
		t.Fatalf("menu text %q", q.Text)
	}
	labels, data = keyboard(t, q)
	return q.MessageID, labels, data
}

// pushTap sends a raw tap on message msgID of chat (a stale keyboard, or
// forged data) and returns its query id.
func (e *env) pushTap(id string, chat int64, msgID int, data string) string {
	e.tg.MustPushUpdate(fmt.Sprintf(`{"callback_query":{"id":%q,"from":{"id":%d,"is_bot":false,"first_name":"U"},`+
		`"chat_instance":"1","data":%q,"message":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"},"text":"x"}}}`,
		id, chat, data, msgID, chat))
	return id
}

// /start asks the menu (after the welcome); what the customer writes
// before tapping waits and then goes, in order, to the desk chosen; the
// tap is answered; a second tap and a forged one are answered and route
// nothing.
func TestRoutingMenuTap(t *testing.T) {
	e, sales := routedWorld(t, routingRules+menuTOML)
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	e.tg.SendText(ann.ID, "/start")
	msgID, labels, data := e.menuOf(t, ann.ID)
	if strings.Join(labels, "|") != "Sales|Support" {
		t.Fatalf("menu buttons %v", labels)
	}
	if sent := e.tg.SentTo(ann.ID); sent[0].Text != "Welcome to support!" {
		t.Errorf("first message %q, want the welcome before the menu", sent[0].Text)
	}
	e.tg.SendText(ann.ID, "before the tap, one")
	e.tg.SendText(ann.ID, "before the tap, two")
	// Both are stored (the log says so at debug level) before the tap.
	if !waitUntil(20*time.Second, func() bool { return strings.Count(e.Logs(), "update committed") >= 3 }) {
		t.Fatalf("the messages were not committed\n%s", tail(e.Logs(), 40))
	}

	tap, err := e.tg.TapButton(ann.ID, msgID, ann.ID, data[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := e.answerOf(t, tap); got != "Support" {
		t.Errorf("tap answered %q, want the option's label", got)
	}
	e.tg.SendText(ann.ID, "after the tap")
	last := waitText(t, e, e.desk, "desk", "after the tap")
	var texts []string
	for _, d := range e.desk.Received() {
		texts = append(texts, d.Message.Text)
	}
	if strings.Join(texts, "|") != "before the tap, one|before the tap, two|after the tap" {
		t.Errorf("the desk got %q, want the held messages first, in order", texts)
	}
	if got := queuedTo(t, e, last.ConversationID); strings.Join(got, ",") != "desk" {
		t.Errorf("the conversation was queued to %v, want desk only", got)
	}
	if len(sales.Received()) != 0 {
		t.Errorf("sales got %+v", sales.Received())
	}

	if got := e.answerOf(t, e.pushTap("again", ann.ID, msgID, data[0])); got != "This menu has expired." {
		t.Errorf("a second tap answered %q", got)
	}
	forged := data[0][:len(data[0])-2] + "xx"
	if got := e.answerOf(t, e.pushTap("forged", ann.ID, msgID, forged)); !strings.Contains(got, "expired") {
		t.Errorf("a forged tap answered %q", got)
	}
	e.tg.SendText(ann.ID, "sentinel")
	waitText(t, e, e.desk, "desk", "sentinel")
	if got := queuedTo(t, e, last.ConversationID); strings.Join(got, ",") != "desk" {
		t.Errorf("after the stale taps the conversation was queued to %v, want desk only", got)
	}
}

// A menu nobody taps: after its timeout the conversation takes the
// default route (every desk) with what it held; a late tap is answered
// as expired.
func TestRoutingMenuTimeout(t *testing.T) {
	e, sales := routedWorld(t, menuTOML+"timeout = \"1s\"\n")
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	e.tg.SendText(ann.ID, "/start")
	msgID, _, data := e.menuOf(t, ann.ID)
	e.tg.SendText(ann.ID, "nobody taps")
	d := waitText(t, e, e.desk, "desk", "nobody taps")
	waitText(t, e, sales, "sales", "nobody taps")
	if got := e.answerOf(t, e.pushTap("late", ann.ID, msgID, data[0])); got != "This menu has expired." {
		t.Errorf("a late tap answered %q", got)
	}
	e.tg.SendText(ann.ID, "sentinel")
	waitText(t, e, e.desk, "desk", "sentinel")
	waitText(t, e, sales, "sales", "sentinel")
	if got := queuedTo(t, e, d.ConversationID); strings.Join(got, ",") != "desk,sales" {
		t.Errorf("queued to %v", got)
	}
}

// parley transfer: the new desk gets the conversation's history as one
// transfer notice, the old one a transfer notice naming where it went,
// and the customer's next messages go to the new desk only.
func TestTransferByOperator(t *testing.T) {
	e, sales := routedWorld(t, `
[[telegram.routes]]
keyword = "(?i)order"
channels = ["desk"]
`)
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	e.tg.SendText(ann.ID, "my order is late")
	first := waitText(t, e, e.desk, "desk", "my order is late")
	if status, body := e.reply(webhookdesk.Reply{ConversationID: first.ConversationID, ID: "r1", Text: "Let me check"}); status != 200 {
		t.Fatalf("reply: %d %s", status, body)
	}
	if !waitUntil(20*time.Second, func() bool {
		for _, s := range e.tg.SentTo(ann.ID) {
			if strings.Contains(s.Text, "Let me check") {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("the reply never reached Telegram\n%s", tail(e.Logs(), 40))
	}

	out, code := e.parley(t, "transfer", "1", "sales")
	if code != 0 || !strings.Contains(out, "from desk to sales") {
		t.Fatalf("parley transfer: %d %s", code, out)
	}
	ctx := waitText(t, e, sales, "sales", "Transferred from another desk")
	if n := ctx.Message.Notice; n == nil || n.Code != "transfer" || strings.Join(n.Channels, ",") != "sales" ||
		!strings.Contains(ctx.Message.Text, "customer: my order is late") || !strings.Contains(ctx.Message.Text, "agent: Let me check") {
		t.Errorf("the context: %+v", ctx.Message)
	}
	left := e.waitNoticeCode("transfer", 1)
	if !strings.Contains(left.Message.Text, "An operator transferred this conversation to sales") || strings.Join(left.Message.Notice.Channels, ",") != "sales" {
		t.Errorf("the old desk's notice: %+v", left.Message)
	}
	e.tg.SendText(ann.ID, "still there?")
	waitText(t, e, sales, "sales", "still there?")
	var deskTexts []string
	for _, d := range e.desk.Received() {
		deskTexts = append(deskTexts, d.Message.Text)
	}
	if len(deskTexts) != 2 {
		t.Errorf("the old desk got %q after the transfer", deskTexts)
	}
	if out, code := e.parley(t, "transfer", "1", "nowhere"); code == 0 || !strings.Contains(out, `no enabled channel "nowhere"`) {
		t.Errorf("transfer to an unknown channel: %d %s", code, out)
	}
}

// A desk transfers through its webhook (ActionTransfer): applied once per
// action id, the acting desk sees its own notice (source channel and
// action id), and the other desk takes over with the history.
func TestTransferByAction(t *testing.T) {
	e, sales := routedWorld(t, `
[[telegram.routes]]
keyword = "(?i)order"
channels = ["desk"]
`)
	ann := e.tg.AddUser(telego.User{FirstName: "Ann", LanguageCode: "en"})
	e.tg.SendText(ann.ID, "my order is late")
	first := waitText(t, e, e.desk, "desk", "my order is late")
	post := func(a webhookdesk.Action) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		status, body, err := e.desk.PostAction(ctx, e.hookURL(), a)
		if err != nil {
			t.Fatal(err)
		}
		return status, body
	}
	a := webhookdesk.Action{Kind: "transfer", ConversationID: first.ConversationID, ID: "t-1", Agent: &webhookdesk.Agent{Name: "Bo"}, Channels: []string{"sales"}}
	if status, body := post(a); status != 200 {
		t.Fatalf("transfer action: %d %s", status, body)
	}
	if status, body := post(a); status != 200 {
		t.Fatalf("the same action again: %d %s", status, body)
	}
	ctx := waitText(t, e, sales, "sales", "Transferred from another desk by Bo")
	if !strings.Contains(ctx.Message.Text, "customer: my order is late") {
		t.Errorf("the context: %q", ctx.Message.Text)
	}
	n := e.waitNoticeCode("transfer", 1)
	if n.Message.Notice.SourceChannel != "desk" || n.Message.Notice.ActionID != "t-1" || !strings.Contains(n.Message.Text, "Bo transferred this conversation to sales") {
		t.Errorf("the acting desk's notice: %+v", n.Message.Notice)
	}
	bad := webhookdesk.Action{Kind: "transfer", ConversationID: first.ConversationID, ID: "t-2", Channels: []string{"nowhere"}}
	if status, body := post(bad); status == 200 {
		t.Errorf("a transfer to an unknown channel: %d %s", status, body)
	}
	e.tg.SendText(ann.ID, "sentinel")
	waitText(t, e, sales, "sales", "sentinel")
	if got := len(sales.Notices("transfer")); got != 1 {
		t.Errorf("sales got %d transfer notices, want 1 (the action applied once)", got)
	}
	if got := len(e.desk.Notices("transfer")); got != 1 {
		t.Errorf("desk got %d transfer notices, want 1", got)
	}
}
