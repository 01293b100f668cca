package webhookchannel_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/webhook/webhookchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestDescribeAnnouncesReactions(t *testing.T) {
	desc, err := webhookchannel.New(webhookchannel.Options{}).Describe(context.Background())
	if err != nil || !desc.Capabilities.Reactions {
		t.Fatalf("capabilities %+v, %v; want Reactions", desc.Capabilities, err)
	}
}

// A message to a Business account through a named bot carries the bot, the
// Business account, the customer's photo and the outside-hours mark.
func TestDeliverBotBusinessPhotoAndHours(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	req := plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil)
	req.Conversation.Bot = "shop"
	req.Conversation.Business = &sdk.Business{ConnectionID: "bc-1", Account: sdk.BusinessAccount{ID: 77, Username: "acme", Name: "Acme Ltd"}}
	req.Contact.PhotoURL = "https://parley.example/files/signed-photo"
	req.Message.OutsideHours = true
	if _, err := ch.Deliver(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := rcv.received(t)[0]
	if got["bot"] != "shop" {
		t.Errorf("bot %v, want shop", got["bot"])
	}
	wantBusiness := map[string]any{"connection_id": "bc-1", "account": map[string]any{"id": float64(77), "username": "acme", "name": "Acme Ltd"}}
	if !reflect.DeepEqual(got["business"], wantBusiness) {
		t.Errorf("business %v, want %v", got["business"], wantBusiness)
	}
	if c := got["contact"].(map[string]any); c["photo_url"] != "https://parley.example/files/signed-photo" {
		t.Errorf("contact %v, want the photo_url", c)
	}
	if m := got["message"].(map[string]any); m["outside_hours"] != true {
		t.Errorf("message %v, want outside_hours true", m)
	}
}

// Without a Business account, a photo or the hours mark, their keys are
// left out, so a receiver can test for presence.
func TestDeliverLeavesOutWhatIsNotSet(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	req := plugintest.SampleDeliver(plugintest.SampleMessages()[0], nil)
	req.Conversation.Bot = "default"
	if _, err := ch.Deliver(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := rcv.received(t)[0]
	_, hasBusiness := got["business"]
	_, hasPhoto := got["contact"].(map[string]any)["photo_url"]
	_, hasHours := got["message"].(map[string]any)["outside_hours"]
	if got["bot"] != "default" || hasBusiness || hasPhoto || hasHours {
		t.Errorf("payload %v; want bot default and no business, photo_url or outside_hours", got)
	}
}

// The wave-2 notices reach the receiver with their structured fields.
func TestDeliverReactionDeleteTransferNotices(t *testing.T) {
	tests := []struct {
		name   string
		notice sdk.Notice
		want   map[string]any
	}{
		{"reaction on an agent's reply", sdk.Notice{Code: sdk.NoticeReaction, Text: "The customer reacted 👍 to your reply.", Emoji: "👍", ReplyExternalID: "reply-88"},
			map[string]any{"code": "reaction", "emoji": "👍", "reply_id": "reply-88"}},
		{"reaction taken back from a customer's message", sdk.Notice{Code: sdk.NoticeReaction, Text: "The customer removed ❤ from their message.", Emoji: "❤", Removed: true, MessageID: "m-5"},
			map[string]any{"code": "reaction", "emoji": "❤", "removed": true, "message_id": "m-5"}},
		{"reaction failed", sdk.Notice{Code: sdk.NoticeReactionFailed, Text: "Telegram refused the reaction 🦄.", Emoji: "🦄", MessageID: "m-5", SourceChannel: "mydesk", ActionExternalID: "act-9"},
			map[string]any{"code": "reaction_failed", "emoji": "🦄", "message_id": "m-5", "source_channel": "mydesk", "action_id": "act-9"}},
		{"customer deleted a message", sdk.Notice{Code: sdk.NoticeMessageDeleted, Text: "The customer deleted “where is my order”.", MessageID: "m-4"},
			map[string]any{"code": "message_deleted", "message_id": "m-4"}},
		{"delete failed", sdk.Notice{Code: sdk.NoticeDeleteFailed, Text: "The reply is older than 48 hours.", ReplyExternalID: "reply-1"},
			map[string]any{"code": "delete_failed", "reply_id": "reply-1"}},
		{"owner wrote from the app", sdk.Notice{Code: sdk.NoticeOwnerMessage, Text: "Acme Ltd wrote: on my way", Agent: "Acme Ltd"},
			map[string]any{"code": "owner_message", "agent": map[string]any{"name": "Acme Ltd"}}},
		{"transfer", sdk.Notice{Code: sdk.NoticeTransfer, Text: "Ada moved the conversation to helpscout, slack-de.", Agent: "Ada", Channels: []string{"helpscout", "slack-de"}},
			map[string]any{"code": "transfer", "agent": map[string]any{"name": "Ada"}, "channels": []any{"helpscout", "slack-de"}}},
		{"business connection", sdk.Notice{Code: sdk.NoticeBusinessConnection, Text: "The Business connection was disabled."},
			map[string]any{"code": "business_connection"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newReceiver(t, secret)
			ch := configured(t, rcv, nil)
			n := tc.notice
			req := sdk.DeliverRequest{Conversation: sdk.Conversation{ID: "c-1", Number: 1, State: sdk.StateOpen, Bot: "default"},
				Message: sdk.Message{ID: "n-1", Kind: sdk.KindNotice, Text: n.Text, Notice: &n, Time: time.Unix(1700000000, 0)}}
			if _, err := ch.Deliver(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			msg := rcv.received(t)[0]["message"].(map[string]any)
			if msg["text"] != n.Text || !reflect.DeepEqual(msg["notice"], tc.want) {
				b, _ := json.Marshal(msg)
				t.Errorf("message %s;\nwant notice %v", b, tc.want)
			}
		})
	}
}

func TestHandleWebhookWave2Actions(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	tests := []struct {
		name string
		body string
		want sdk.Action
	}{
		{"react", `{"action":"react","conversation_id":"c-1","id":"a-1","message_id":"m-7","emoji":"👍","agent":{"name":"Ada"}}`,
			sdk.Action{Kind: sdk.ActionReact, ConversationID: "c-1", ExternalID: "a-1", MessageID: "m-7", Emoji: "👍", Agent: "Ada"}},
		{"react with a variation selector", `{"action":"react","conversation_id":"c-1","id":"a-2","message_id":"m-7","emoji":"❤️"}`,
			sdk.Action{Kind: sdk.ActionReact, ConversationID: "c-1", ExternalID: "a-2", MessageID: "m-7", Emoji: "❤️"}},
		{"an empty emoji removes the reaction", `{"action":"react","conversation_id":"c-1","id":"a-3","message_id":"m-7","emoji":""}`,
			sdk.Action{Kind: sdk.ActionReact, ConversationID: "c-1", ExternalID: "a-3", MessageID: "m-7"}},
		{"react naming the receiver's own id", `{"action":"react","conversation_id":"c-1","id":"a-7","desk_message_id":"desk-55","emoji":"🔥"}`,
			sdk.Action{Kind: sdk.ActionReact, ConversationID: "c-1", ExternalID: "a-7", DeskMessageID: "desk-55", Emoji: "🔥"}},
		{"delete", `{"action":"delete","conversation_id":"c-1","id":"a-4","reply_id":"reply-88"}`,
			sdk.Action{Kind: sdk.ActionDelete, ConversationID: "c-1", ExternalID: "a-4", ReplyExternalID: "reply-88"}},
		{"transfer", `{"action":"transfer","conversation_id":"c-1","id":"a-5","channels":["helpscout","slack-de"],"agent":{"name":"Ada"}}`,
			sdk.Action{Kind: sdk.ActionTransfer, ConversationID: "c-1", ExternalID: "a-5", Channels: []string{"helpscout", "slack-de"}, Agent: "Ada"}},
		{"typing with an id", `{"action":"typing","conversation_id":"c-1","id":"a-6"}`,
			sdk.Action{Kind: sdk.ActionTyping, ConversationID: "c-1", ExternalID: "a-6"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ch.HandleWebhook(context.Background(), signed(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			plugintest.AssertStatus(t, resp, 200)
			if len(resp.Replies) != 0 || !reflect.DeepEqual(resp.Actions, []sdk.Action{tc.want}) {
				t.Errorf("replies %+v, actions %+v; want only %+v", resp.Replies, resp.Actions, tc.want)
			}
		})
	}
}

// "typing" needs no id: each request gets a fresh one, so the host shows
// "typing…" again for every request rather than applying the first only.
func TestTypingWithoutIDGetsAFreshIDEachTime(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	var ids []string
	for range 2 {
		resp, err := ch.HandleWebhook(context.Background(), signed(`{"action":"typing","conversation_id":"c-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		plugintest.AssertStatus(t, resp, 200)
		if len(resp.Actions) != 1 || resp.Actions[0].Kind != sdk.ActionTyping || resp.Actions[0].ConversationID != "c-1" {
			t.Fatalf("actions %+v, want one typing action", resp.Actions)
		}
		ids = append(ids, resp.Actions[0].ExternalID)
	}
	if ids[0] == "" || ids[0] == ids[1] || !strings.HasPrefix(ids[0], "typing-") {
		t.Errorf("typing ids %q; want two different generated ids", ids)
	}
}

func TestHandleWebhookRejectsBadWave2Actions(t *testing.T) {
	rcv := newReceiver(t, secret)
	ch := configured(t, rcv, nil)
	tests := []struct {
		name    string
		body    string
		errPart string
	}{
		{"react without message_id", `{"action":"react","conversation_id":"c","id":"a","emoji":"👍"}`, `needs "message_id"`},
		{"react naming its message twice", `{"action":"react","conversation_id":"c","id":"a","message_id":"m","desk_message_id":"d","emoji":"👍"}`, `not both`},
		{"desk_message_id on a delete", `{"action":"delete","conversation_id":"c","id":"a","reply_id":"r","desk_message_id":"d"}`, `"desk_message_id" belongs to a "react" action`},
		{"react without emoji", `{"action":"react","conversation_id":"c","id":"a","message_id":"m"}`, `needs "emoji"`},
		{"react with a sentence", `{"action":"react","conversation_id":"c","id":"a","message_id":"m","emoji":"thumbs up please"}`, `is not one emoji`},
		{"react without id", `{"action":"react","conversation_id":"c","message_id":"m","emoji":"👍"}`, `"id" is required`},
		{"react with text", `{"action":"react","conversation_id":"c","id":"a","message_id":"m","emoji":"👍","text":"ok"}`, `carries no "text"`},
		{"delete without reply_id", `{"action":"delete","conversation_id":"c","id":"a"}`, `needs "reply_id"`},
		{"transfer without channels", `{"action":"transfer","conversation_id":"c","id":"a"}`, `needs "channels"`},
		{"transfer to no channel", `{"action":"transfer","conversation_id":"c","id":"a","channels":[]}`, `needs "channels"`},
		{"transfer to an empty name", `{"action":"transfer","conversation_id":"c","id":"a","channels":["helpscout"," "]}`, `"channels[1]" is empty`},
		{"channels not a list", `{"action":"transfer","conversation_id":"c","id":"a","channels":"helpscout"}`, `"channels" must be a list`},
		{"typing without conversation", `{"action":"typing"}`, `"conversation_id" is required`},
		{"emoji on a close", `{"action":"close","conversation_id":"c","id":"a","emoji":"👍"}`, `"emoji" belongs to a "react" action, not "close"`},
		{"reply_id on a react", `{"action":"react","conversation_id":"c","id":"a","message_id":"m","emoji":"👍","reply_id":"r"}`, `"reply_id" belongs to a "delete" action`},
		{"channels on a typing", `{"action":"typing","conversation_id":"c","channels":["x"]}`, `"channels" belongs to a "transfer" action`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ch.HandleWebhook(context.Background(), signed(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			plugintest.AssertStatus(t, resp, 400)
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			_ = json.Unmarshal(resp.Body, &body)
			if body.OK || !strings.Contains(body.Error, tc.errPart) || len(resp.Actions) != 0 || len(resp.Replies) != 0 {
				t.Errorf("answer %s, %d actions, %d replies; want an error mentioning %q and nothing applied",
					resp.Body, len(resp.Actions), len(resp.Replies), tc.errPart)
			}
		})
	}
}

// wave2AcrossTheBoundary checks through the plugin boundary that the new
// actions reach the host with their fields and the new payload fields
// reach the receiver.
func wave2AcrossTheBoundary(t *testing.T, h *plugintest.Harness) {
	rcv := newReceiver(t, secret)
	plugintest.AssertConfigured(t, h.Configure(t, map[string]string{"url": rcv.URL, "secret": secret}))
	for body, want := range map[string]sdk.Action{
		`{"action":"react","conversation_id":"c-1","id":"a-1","message_id":"m-7","emoji":"👍"}`: {Kind: sdk.ActionReact, ConversationID: "c-1", ExternalID: "a-1", MessageID: "m-7", Emoji: "👍"},
		`{"action":"delete","conversation_id":"c-1","id":"a-2","reply_id":"r-1"}`:              {Kind: sdk.ActionDelete, ConversationID: "c-1", ExternalID: "a-2", ReplyExternalID: "r-1"},
		`{"action":"transfer","conversation_id":"c-1","id":"a-3","channels":["helpscout"]}`:    {Kind: sdk.ActionTransfer, ConversationID: "c-1", ExternalID: "a-3", Channels: []string{"helpscout"}},
	} {
		resp, err := h.Channel.HandleWebhook(context.Background(), signed(body))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != 200 || !reflect.DeepEqual(resp.Actions, []sdk.Action{want}) {
			t.Errorf("%s: status %d, actions %+v; want 200 and %+v", body, resp.Status, resp.Actions, want)
		}
	}
	n := &sdk.Notice{Code: sdk.NoticeReaction, Text: "The customer reacted 👍.", Emoji: "👍", ReplyExternalID: "r-1"}
	if _, err := h.Channel.Deliver(context.Background(), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c-1", Number: 1, Bot: "shop", Business: &sdk.Business{ConnectionID: "bc", Account: sdk.BusinessAccount{ID: 1, Name: "Acme"}}},
		Message:      sdk.Message{ID: "n-1", Kind: sdk.KindNotice, Text: n.Text, Notice: n, OutsideHours: true}}); err != nil {
		t.Fatal(err)
	}
	got := rcv.received(t)
	if len(got) != 1 {
		t.Fatalf("receiver got %d messages", len(got))
	}
	msg := got[0]["message"].(map[string]any)
	if got[0]["bot"] != "shop" || got[0]["business"] == nil || msg["outside_hours"] != true ||
		!reflect.DeepEqual(msg["notice"], map[string]any{"code": "reaction", "emoji": "👍", "reply_id": "r-1"}) {
		t.Errorf("receiver got %v, want the bot, business, outside_hours and the reaction's fields", got[0])
	}
}
