package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// slackChannel is the channel name the demo gives the Slack desk.
const slackChannel = "slack"

// slackDesk is the Slack plugin against the project's fake Slack workspace:
// the plugin posts a root message per conversation and threads the rest;
// the agent answers in the thread, which the fake sends to the host as a
// signed Events API request.
type slackDesk struct {
	f *slackfake.Fake
}

func newSlackDesk(publicURL string) *slackDesk {
	f := slackfake.New()
	f.SetEventsURL(publicURL + "/hooks/" + slackChannel)
	return &slackDesk{f: f}
}

func (s *slackDesk) Channel() channelSpec {
	return channelSpec{
		Name: slackChannel, Plugin: "slack",
		Config: fmt.Sprintf("bot_token = \"${DEMO_SLACK_BOT_TOKEN}\"\nsigning_secret = \"${DEMO_SLACK_SIGNING_SECRET}\"\nchannel = %q\napi_url = %q\n",
			slackfake.ChannelName, s.f.APIURL()),
		Env: map[string]string{"DEMO_SLACK_BOT_TOKEN": slackfake.BotToken, "DEMO_SLACK_SIGNING_SECRET": slackfake.SigningSecret},
	}
}

func (s *slackDesk) Threads() []deskThread {
	var out []deskThread
	for _, root := range s.f.Roots(slackfake.ChannelID) {
		t := deskThread{ID: root.TS, Contact: firstLine(root.Text)}
		for _, m := range s.f.Thread(slackfake.ChannelID, root.TS) {
			from := "customer"
			if m.User == slackfake.AgentUserID {
				from = "agent"
			}
			dm := deskMessage{From: from, Text: slackUnescape.Replace(m.Text), At: slackTime(m.TS)}
			for _, f := range m.Files {
				dm.Files = append(dm.Files, deskFile{Name: f})
			}
			t.Messages = append(t.Messages, dm)
		}
		out = append(out, t)
	}
	return out
}

func (s *slackDesk) Reply(ctx context.Context, threadID, text string) error {
	_, d, err := s.f.AgentReply(ctx, slackfake.ChannelID, threadID, slackfake.AgentUserID, slackEscape.Replace(text))
	if err != nil {
		return fmt.Errorf("slack agent reply: %w", err)
	}
	if !d.OK() {
		return fmt.Errorf("the host did not accept the Slack event (%d attempts)", len(d.Attempts))
	}
	return nil
}

func (s *slackDesk) Close() { s.f.Close() }

// A Slack client sends what the agent types with &, < and > escaped, the
// only escaping Slack's text format has; the pane shows them as typed.
var (
	slackEscape   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	slackUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
)

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// slackTime reads a Slack ts ("1700000000.000100") as a time.
func slackTime(ts string) time.Time {
	var sec, frac int64
	_, _ = fmt.Sscanf(ts, "%d.%d", &sec, &frac)
	return time.Unix(sec, frac*1000)
}
