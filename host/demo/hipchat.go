package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
)

// hipChatChannel is the channel name the demo gives the HipChat desk.
const hipChatChannel = "hipchat"

var (
	// handleRE finds the "#42" (or a split part's "#42 (1/3)") a
	// notification starts with.
	handleRE = regexp.MustCompile(`^#(\d+)(?: \(\d+/\d+\))?\s*`)
	// agentHandleRE is an agent's reply as typed into the room.
	agentHandleRE = regexp.MustCompile(`(?s)^\s*#(\d+)\s+(.*\S)`)
	// hipChatTooLargeRE is the red alert of a file the bot cannot fetch.
	hipChatTooLargeRE = regexp.MustCompile(`sent <b>([^<]*)</b>(?: \(([0-9.]+ [KMG]?B)\))?, too large`)
)

// hipChatDesk is the HipChat plugin against the project's fake HipChat
// server. HipChat has no threads: every Telegram conversation is a run of
// room notifications under its "#N" handle, and the agent answers by
// typing "#N text" into the room, which the fake delivers to the host
// through the room_message webhook the plugin registered at start.
type hipChatDesk struct {
	f      *hipchatfake.Server
	secret string
}

func newHipChatDesk() (*hipChatDesk, error) {
	f, err := hipchatfake.New(hipchatfake.Options{})
	if err != nil {
		return nil, fmt.Errorf("fake HipChat: %w", err)
	}
	// The secret is the webhook URL's last path segment: [A-Za-z0-9._~-], 16 or more.
	return &hipChatDesk{f: f, secret: randomHex(24)}, nil
}

// Channel has the plugin register its own webhook at start, as an operator
// with a personal token would.
func (h *hipChatDesk) Channel() channelSpec {
	return channelSpec{
		Name: hipChatChannel, Plugin: "hipchat",
		Config: fmt.Sprintf("server_url = %q\nroom = \"%d\"\ntoken = \"${DEMO_HIPCHAT_TOKEN}\"\nwebhook_secret = \"${DEMO_HIPCHAT_WEBHOOK_SECRET}\"\nregister_webhook = true\n",
			h.f.URL(), h.f.RoomID()),
		Env: map[string]string{"DEMO_HIPCHAT_TOKEN": h.f.Token(), "DEMO_HIPCHAT_WEBHOOK_SECRET": h.secret},
	}
}

// Threads groups the room's history by handle: the plugin's notifications
// are the customer's side, "#N …" messages the agent's. Room chatter and
// the plugin's syntax help carry no leading handle and are left out.
func (h *hipChatDesk) Threads() []deskThread {
	byNum := map[string]*deskThread{}
	var order []string
	for _, item := range h.f.History(h.f.RoomID()) {
		switch item.Type {
		case "notification":
			text, files := fromHTML(item.Message)
			g := handleRE.FindStringSubmatch(text)
			if g == nil {
				continue
			}
			num, rest := g[1], text[len(g[0]):]
			t, ok := byNum[num]
			if !ok {
				t = &deskThread{ID: num, Label: "#" + num, Contact: item.From}
				byNum[num] = t
				order = append(order, num)
			}
			m := deskMessage{From: "customer", Files: files, At: item.Date}
			switch item.Color {
			case "gray":
				m.From, m.Kind, m.Text = "note", "notice", rest
				hipChatState(t, rest)
			case "red":
				if a := hipChatTooLargeRE.FindStringSubmatch(item.Message); a != nil {
					m.Files = append(m.Files, deskFile{Name: html.UnescapeString(a[1]), Size: a[2], TooLarge: true})
				} else {
					m.Kind, m.Text = "alert", rest
				}
			default:
				// "Ada Lovelace (@ada_demo):" then the message.
				header, body, _ := strings.Cut(rest, "\n")
				if strings.Contains(header, "(edited)") {
					m.Kind = "edited"
				} else if !ok {
					t.Contact = strings.TrimSuffix(header, ":")
				}
				m.Text = body
			}
			t.Messages = append(t.Messages, m)
		case "message":
			g := agentHandleRE.FindStringSubmatch(item.Message)
			if g == nil || byNum[g[1]] == nil {
				continue
			}
			m := deskMessage{From: "agent", Text: g[2], At: item.Date}
			if f := item.File; f != nil {
				m.Files = append(m.Files, deskFile{Name: f.Name, Size: humanSize(f.Size), URL: f.URL})
			}
			byNum[g[1]].Messages = append(byNum[g[1]].Messages, m)
		}
	}
	out := make([]deskThread, 0, len(order))
	for _, num := range order {
		t := byNum[num]
		if t.State == "" {
			t.State = stateOpen // no state change yet
		}
		t.Actions = actionsFor(t.State)
		out = append(out, *t)
	}
	return out
}

// hipChatState follows a thread's state through the plugin's grey
// lifecycle lines ("claimed by Alice", "closed for inactivity").
func hipChatState(t *deskThread, line string) {
	switch {
	case strings.HasPrefix(line, "claimed"):
		t.State, t.ClaimedBy = stateClaimed, strings.TrimPrefix(line, "claimed by ")
		if t.ClaimedBy == line {
			t.ClaimedBy = ""
		}
	case strings.HasPrefix(line, "unclaimed"), strings.HasPrefix(line, "reopened"):
		t.State, t.ClaimedBy = stateOpen, ""
	case strings.HasPrefix(line, "closed"):
		t.State, t.ClaimedBy = stateClosed, ""
	}
}

// Reply types "#N text" into the room as the agent. The fake delivers the
// room_message webhook to the host before returning; a plugin that answers
// with a room notice (unknown handle, bad syntax) refused the reply.
func (h *hipChatDesk) Reply(ctx context.Context, threadID, text string) error {
	if _, err := strconv.ParseUint(threadID, 10, 64); err != nil {
		return fmt.Errorf("no HipChat handle #%s", threadID)
	}
	_, ds, err := h.f.SendRoomMessage(ctx, h.f.RoomID(), hipchatfake.Message{Text: "#" + threadID + " " + text})
	if err != nil {
		return fmt.Errorf("hipchat room message: %w", err)
	}
	if len(ds) == 0 {
		return errors.New("HipChat delivered no webhook: the plugin has not registered its room_message webhook")
	}
	for _, d := range ds {
		switch {
		case d.Err != "":
			// The error names the webhook URL, whose last segment is the secret.
			return fmt.Errorf("HipChat's webhook to the host failed: %s", strings.ReplaceAll(d.Err, h.secret, "<webhook_secret>"))
		case d.Status/100 != 2:
			return fmt.Errorf("the host answered HipChat's webhook with %d: %s", d.Status, d.Response)
		case len(d.Response) > 0:
			var notice struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(d.Response, &notice) == nil && notice.Message != "" {
				return fmt.Errorf("the plugin refused the reply: %s", htmlText(notice.Message))
			}
		}
	}
	return nil
}

// Act types "#N /close" (or /claim, /unclaim, /reopen) into the room, the
// HipChat plugin's command for the action.
func (h *hipChatDesk) Act(ctx context.Context, threadID, action string) error {
	return h.Reply(ctx, threadID, "/"+action)
}

func (h *hipChatDesk) Close() { h.f.Close() }
