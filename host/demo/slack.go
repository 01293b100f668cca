package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
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
		// "Telegram conversation: Ada Lovelace (@ada) · 🟢 Open": the
		// status shows on its own, from the header's blocks.
		contact, _, _ := strings.Cut(firstLine(root.Text), " · ")
		t := deskThread{ID: root.TS, Contact: slackUnescape.Replace(strings.TrimPrefix(contact, "Telegram conversation: "))}
		h := readSlackHeader(root.Blocks)
		t.Label, t.Status, t.State, t.Actions = h.label, h.status, h.state, h.actions
		for _, m := range s.f.Thread(slackfake.ChannelID, root.TS) {
			from := "customer"
			switch {
			case m.User == slackfake.AgentUserID:
				from = "agent"
			case slackLifecycleRE.MatchString(m.Text):
				from = "note" // the plugin's record of a state change or a rating
			}
			text := m.Text
			if from == "note" {
				// "✅ _Closed by Alice_" is italic in Slack; the pane
				// styles notes itself.
				emoji, rest, _ := strings.Cut(text, " ")
				text = emoji + " " + strings.TrimSuffix(strings.TrimPrefix(rest, "_"), "_")
			}
			if from == "customer" && m.IconURL != "" {
				t.Photo = m.IconURL // the customer's posts carry their photo as the icon
			}
			dm := deskMessage{From: from, Text: slackUnescape.Replace(text), At: slackTime(m.TS)}
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

// Act clicks the header's button for action, as the agent: the fake sends
// the block_actions payload to the host's hook, signed, as Slack would.
func (s *slackDesk) Act(ctx context.Context, threadID, action string) error {
	d, err := s.f.AgentClick(ctx, slackfake.ChannelID, threadID, slackfake.AgentUserID, slackActionPrefix+action)
	if err != nil {
		return fmt.Errorf("slack button %s: %w", action, err)
	}
	if !d.OK() {
		return fmt.Errorf("the host did not accept the Slack click (%d attempts)", len(d.Attempts))
	}
	return nil
}

func (s *slackDesk) Close() { s.f.Close() }

// The Slack plugin's header: its buttons' action ids are "parley_" and the
// action, the state line is the section "parley_status", and the
// conversation's number is the "Conversation" field.
const (
	slackActionPrefix  = "parley_"
	slackStatusBlockID = "parley_status"
	slackActionsID     = "parley_actions"
)

var (
	slackNumberRE = regexp.MustCompile(`^\*Conversation\*\n(#\d+)$`)
	// slackLifecycleRE is the plugin's italic record of a lifecycle or
	// other host notice in the thread ("✅ _Closed by …_", "⭐ _Rated 4/5
	// by the customer_", "🗑️ _The customer deleted …_").
	slackLifecycleRE = regexp.MustCompile(`(?s)^(👀|↩️|✅|🟢|ℹ️|⭐|🗑️|🏢|🔀|🔌) _.*_$`)
)

// slackHeader is what the pane reads off a conversation's header message.
type slackHeader struct {
	label, status, state string
	actions              []string
}

// readSlackHeader reads the header's Block Kit JSON; a header it cannot
// read shows no state and no buttons.
func readSlackHeader(raw string) slackHeader {
	var blocks []struct {
		BlockID string `json:"block_id"`
		Text    *struct {
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
		} `json:"elements"`
	}
	var h slackHeader
	if raw == "" || json.Unmarshal([]byte(raw), &blocks) != nil {
		return h
	}
	for _, b := range blocks {
		for _, f := range b.Fields {
			if g := slackNumberRE.FindStringSubmatch(f.Text); g != nil {
				h.label = g[1]
			}
		}
		switch b.BlockID {
		case slackStatusBlockID:
			if b.Text != nil {
				h.status = slackUnescape.Replace(strings.Trim(b.Text.Text, "*"))
			}
		case slackActionsID:
			for _, e := range b.Elements {
				if a := strings.TrimPrefix(e.ActionID, slackActionPrefix); e.Type == "button" && validAction(a) {
					h.actions = append(h.actions, a)
				}
			}
		}
	}
	switch {
	case strings.HasPrefix(h.status, "👀"):
		h.state = stateClaimed
	case strings.HasPrefix(h.status, "✅"):
		h.state = stateClosed
	case h.status != "":
		h.state = stateOpen
	}
	return h
}

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
