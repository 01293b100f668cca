package hipchatchannel_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/plugins/hipchat/internal/hipchatchannel"
	"github.com/parley-dev/parley/sdk"
)

func TestDescribeAnnouncesLifecycle(t *testing.T) {
	desc, err := hipchatchannel.New(hipchatchannel.Options{}).Describe(context.Background())
	if err != nil || !desc.Capabilities.Lifecycle {
		t.Fatalf("capabilities %+v, %v; want Lifecycle", desc.Capabilities, err)
	}
}

// "#42 /close" and its siblings typed in the room become lifecycle actions
// of the agent who typed them, identified by the HipChat message id; the
// room gets no answer of its own (the host's notice confirms).
func TestCommandsBecomeActions(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"register_webhook": true, "bot_mention": "parley"})
	if _, err := e.deliver(t, 42, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "Where is my order?"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		kind sdk.ActionKind
	}{
		{"#42 /claim", sdk.ActionClaim},
		{"#42 /unclaim", sdk.ActionUnclaim},
		{"#42 /close", sdk.ActionClose},
		{"#42 /reopen", sdk.ActionReopen},
		{"  #42: /CLOSE  ", sdk.ActionClose},
		{"@parley #42 /claim", sdk.ActionClaim},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			before := len(e.host.Actions())
			notes := len(e.fake.Notifications(e.fake.RoomID()))
			item, ds, err := e.fake.SendRoomMessage(context.Background(), e.fake.RoomID(), hipchatfake.Message{Text: tt.text})
			if err != nil || len(ds) != 1 || ds[0].Status != 204 {
				t.Fatalf("deliveries %+v, err %v; want one answered 204", ds, err)
			}
			got := e.host.Actions()[before:]
			want := []sdk.Action{{Kind: tt.kind, ThreadRef: []byte("42"), ExternalID: item.ID, Agent: "Anna Agent"}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("actions %+v, want %+v", got, want)
			}
			if added := e.fake.Notifications(e.fake.RoomID())[notes:]; len(added) != 0 {
				t.Errorf("the room got %+v; the host's notice is the confirmation", added)
			}
		})
	}
	if r := e.host.Replies(); len(r) != 0 {
		t.Errorf("commands reached the customer as replies: %+v", r)
	}
}

// What looks like a command but is none is explained in the room and
// reaches neither the customer nor the host's lifecycle; an answer that
// merely starts with a slash is still an answer.
func TestCommandMistakes(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"register_webhook": true})
	if _, err := e.deliver(t, 42, sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		text      string
		color     string // of the room's answer
		notice    string // part of it
		wantReply string
	}{
		{"typo", "#42 /clsoe", "gray", "Unknown command /clsoe", ""},
		{"command with text", "#42 /close thanks, bye", "gray", "/close stands alone", ""},
		{"unknown handle", "#999 /close", "red", "No Telegram conversation #999 here to close", ""},
		{"answer starting with a slash", "#42 /start the bot again, please", "", "", "/start the bot again, please"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replies, actions := len(e.host.Replies()), len(e.host.Actions())
			notes := len(e.fake.Notifications(e.fake.RoomID()))
			e.say(t, tt.text, nil)
			added := e.fake.Notifications(e.fake.RoomID())[notes:]
			if tt.color != "" {
				if len(added) != 1 || added[0].Color != tt.color || !strings.Contains(added[0].Message, tt.notice) {
					t.Errorf("room got %+v; want one %s notification containing %q", added, tt.color, tt.notice)
				}
				if len(added) == 1 && !strings.Contains(added[0].Message, "#42 /close") {
					t.Errorf("help %q does not show the commands", added[0].Message)
				}
			} else if len(added) != 0 {
				t.Errorf("room got %+v, want nothing", added)
			}
			if a := e.host.Actions()[actions:]; len(a) != 0 {
				t.Errorf("actions %+v, want none", a)
			}
			got := e.host.Replies()[replies:]
			if tt.wantReply == "" && len(got) != 0 || tt.wantReply != "" && (len(got) != 1 || got[0].Text != tt.wantReply) {
				t.Errorf("replies %+v, want %q", got, tt.wantReply)
			}
		})
	}
}

// The syntax help every mistake gets mentions the commands.
func TestSyntaxHelpMentionsCommands(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, map[string]any{"register_webhook": true})
	e.say(t, "#abc hello", nil)
	notes := e.fake.Notifications(e.fake.RoomID())
	if len(notes) != 1 {
		t.Fatalf("notifications %+v", notes)
	}
	for _, cmd := range []string{"#42 your answer", "#42 /claim", "#42 /unclaim", "#42 /close", "#42 /reopen"} {
		if !strings.Contains(notes[0].Message, cmd) {
			t.Errorf("help %q lacks %q", notes[0].Message, cmd)
		}
	}
}

// Lifecycle notices show as one grey, silent line per change.
func TestLifecycleNoticesAreGreyLines(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	tests := []struct {
		notice sdk.Notice
		want   string
	}{
		{sdk.Notice{Code: sdk.NoticeConversationClaimed, Agent: "Grace Hopper", State: sdk.StateClaimed}, "<b>#42</b> claimed by Grace Hopper"},
		{sdk.Notice{Code: sdk.NoticeConversationUnclaimed, Agent: "Grace Hopper", State: sdk.StateOpen}, "<b>#42</b> unclaimed by Grace Hopper"},
		{sdk.Notice{Code: sdk.NoticeConversationClosed, Agent: "Grace Hopper", Reason: sdk.CloseByAgent, SourceChannel: "slack"}, "<b>#42</b> closed by Grace Hopper"},
		{sdk.Notice{Code: sdk.NoticeConversationClosed, Reason: sdk.CloseByIdle, Agent: "Parley"}, "<b>#42</b> closed for inactivity"},
		{sdk.Notice{Code: sdk.NoticeConversationClosed, Reason: sdk.CloseByCustomer, Agent: "the customer"}, "<b>#42</b> closed by the customer"},
		{sdk.Notice{Code: sdk.NoticeConversationClosed, Reason: sdk.CloseByOperator, Agent: "Ops Olga"}, "<b>#42</b> closed by Ops Olga"},
		{sdk.Notice{Code: sdk.NoticeConversationClosed, Reason: sdk.CloseByOperator}, "<b>#42</b> closed by an operator"},
		{sdk.Notice{Code: sdk.NoticeConversationReopened, Agent: "Ada <Lovelace>"}, "<b>#42</b> reopened by Ada &lt;Lovelace&gt;"},
		{sdk.Notice{Code: sdk.NoticeConversationReopened}, "<b>#42</b> reopened"},
		{sdk.Notice{Code: sdk.NoticeActionIgnored, Text: "Anna Agent could not close conversation #42: it is closed."},
			"<b>#42</b> Anna Agent could not close conversation #42: it is closed."},
		{sdk.Notice{Code: sdk.NoticeRating, Score: 4, Scale: 5, Text: "The customer rated the conversation 4 out of 5."}, "<b>#42</b> rated 4/5"},
		{sdk.Notice{Code: sdk.NoticeUserBlocked, Text: "The user blocked the bot."}, "<b>#42</b> The user blocked the bot."},
	}
	for _, tt := range tests {
		t.Run(string(tt.notice.Code)+" "+tt.want, func(t *testing.T) {
			notes := len(e.fake.Notifications(e.fake.RoomID()))
			n := tt.notice
			text := n.Text
			if text == "" {
				text = "A full sentence the plugin replaces."
			}
			if _, err := e.deliver(t, 42, sdk.Message{ID: "n", Kind: sdk.KindNotice, Text: text, Notice: &n}); err != nil {
				t.Fatal(err)
			}
			added := e.fake.Notifications(e.fake.RoomID())[notes:]
			if len(added) != 1 || added[0].Message != tt.want || added[0].Color != "gray" || added[0].Notify {
				t.Errorf("room got %+v; want one silent gray %q", added, tt.want)
			}
		})
	}
}

// A conversation that follows a closed one names its predecessor in its
// first notification, and only there.
func TestNewConversationMentionsThePreviousOne(t *testing.T) {
	e := newEnv(t, hipchatfake.Options{}, nil)
	req := sdk.DeliverRequest{
		Conversation:      sdk.Conversation{ID: "c43", Number: 43, PreviousID: "c42", PreviousNumber: 42},
		Contact:           sdk.Contact{TelegramUserID: 7, FirstName: "Ivan"},
		Message:           sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "Hello again"},
		PreviousThreadRef: []byte("42"),
	}
	resp, err := e.ch.Deliver(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	req.ThreadRef, req.PreviousThreadRef = resp.ThreadRef, nil
	req.Message = sdk.Message{ID: "m2", Kind: sdk.KindText, Text: "Still there?"}
	if _, err := e.ch.Deliver(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	notes := e.fake.Notifications(e.fake.RoomID())
	if len(notes) != 2 {
		t.Fatalf("notifications %+v", notes)
	}
	if want := "<b>#43</b> Ivan <i>(follows #42)</i>:<br>Hello again"; notes[0].Message != want {
		t.Errorf("first notification %q, want %q", notes[0].Message, want)
	}
	if strings.Contains(notes[1].Message, "follows") {
		t.Errorf("second notification %q repeats the predecessor", notes[1].Message)
	}
}
