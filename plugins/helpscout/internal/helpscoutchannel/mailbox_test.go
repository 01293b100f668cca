package helpscoutchannel_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/plugins/helpscout/internal/helpscoutchannel"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// syncBuffer is a log sink the channel may write to from any goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A Help Scout webhook subscribed to several mailboxes (or shared by two
// Parley channels) delivers, correctly signed, replies from conversations
// of other mailboxes: they are acknowledged and ignored, not sent to any
// Telegram user.
func TestWebhookFromAnotherMailboxIsIgnored(t *testing.T) {
	fake := newFake(t, helpscoutfake.Options{Mailboxes: []helpscoutfake.Mailbox{{ID: 85, Name: "Support"}, {ID: 86, Name: "Sales"}}})

	// The channel of mailbox 86 opens a conversation; an agent answers it.
	sales := env{fake: fake, ch: helpscoutchannel.New(helpscoutchannel.Options{Version: "test"}), host: plugintest.NewRecordingHost()}
	salesCfg := validConfig(fake)
	salesCfg["mailbox_id"] = 86
	plugintest.AssertConfigured(t, configure(t, sales.ch, sales.host, salesCfg))
	id := convID(t, sales.mustDeliver(t, text("m1", "Do you ship to Norway?"), nil))
	if _, err := fake.AgentReply(id, helpscoutfake.Reply{HTML: "<div>We do.</div>", User: &helpscoutfake.User{ID: 17, First: "Sam", Last: "Sales"}}, false); err != nil {
		t.Fatal(err)
	}

	// The channel of mailbox 85 gets the same webhook.
	logs := &syncBuffer{}
	support := env{fake: fake, ch: helpscoutchannel.New(helpscoutchannel.Options{Version: "test"}), host: plugintest.NewRecordingHost()}
	raw, _ := json.Marshal(validConfig(fake))
	resp, err := support.ch.Configure(ctx(t), sdk.ConfigureRequest{ChannelName: "helpscout", Config: raw, Host: support.host,
		HookBaseURL: "http://127.0.0.1/hooks/helpscout", Logger: hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})})
	if err != nil {
		t.Fatal(err)
	}
	plugintest.AssertConfigured(t, resp)

	for _, withThreads := range []bool{true, false} {
		got := support.hook(t, "convo.agent.reply.created", id, withThreads)
		plugintest.AssertStatus(t, got, 200)
		if len(got.Replies) != 0 {
			t.Errorf("with threads embedded %v: %d replies from mailbox 86 taken by the channel of mailbox 85: %+v", withThreads, len(got.Replies), got.Replies)
		}
	}
	if !strings.Contains(logs.String(), "another mailbox") || !strings.Contains(logs.String(), "mailbox=86") {
		t.Errorf("no debug line about the other mailbox in:\n%s", logs)
	}
	// The channel the conversation belongs to does take the reply.
	if got := sales.hook(t, "convo.agent.reply.created", id, true); len(got.Replies) != 1 || got.Replies[0].Text != "We do." {
		t.Errorf("the mailbox 86 channel got %+v", got.Replies)
	}
}
