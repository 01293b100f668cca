package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
)

// helpScoutChannel is the channel name the demo gives the Help Scout desk.
const helpScoutChannel = "helpscout"

// helpScoutDesk is the Help Scout plugin against the project's fake Help
// Scout: each Telegram conversation is a chat conversation in the mailbox,
// each message a customer thread. The agent's reply is added in the fake
// and reaches the host as Help Scout's signed convo.agent.reply.created
// webhook.
type helpScoutDesk struct {
	f      *helpscoutfake.Server
	secret string
}

func newHelpScoutDesk(publicURL string) (*helpScoutDesk, error) {
	// Help Scout takes webhook secrets of at most 40 characters.
	secret := randomHex(20)
	f, err := helpscoutfake.New(helpscoutfake.Options{
		AppID: "demo-app-" + randomHex(4), AppSecret: randomHex(20),
		WebhookURL: publicURL + "/hooks/" + helpScoutChannel, WebhookSecret: secret,
	})
	if err != nil {
		return nil, fmt.Errorf("fake Help Scout: %w", err)
	}
	return &helpScoutDesk{f: f, secret: secret}, nil
}

// Channel leaves upload_files off: files stay links to the host's signed
// /files/ URLs, which the pane can open.
func (h *helpScoutDesk) Channel() channelSpec {
	return channelSpec{
		Name: helpScoutChannel, Plugin: "helpscout",
		Config: fmt.Sprintf("app_id = \"${DEMO_HS_APP_ID}\"\napp_secret = \"${DEMO_HS_APP_SECRET}\"\nmailbox_id = %d\nwebhook_secret = \"${DEMO_HS_WEBHOOK_SECRET}\"\napi_url = %q\n",
			h.f.MailboxID(), h.f.URL()),
		Env: map[string]string{
			"DEMO_HS_APP_ID": h.f.AppID(), "DEMO_HS_APP_SECRET": h.f.AppSecret(),
			"DEMO_HS_WEBHOOK_SECRET": h.secret,
		},
	}
}

func (h *helpScoutDesk) Threads() []deskThread {
	names, photos := map[int64]string{}, map[int64]string{}
	for _, c := range h.f.Customers() {
		names[c.ID] = strings.TrimSpace(c.FirstName + " " + c.LastName)
		photos[c.ID] = c.PhotoURL
	}
	var out []deskThread
	for _, c := range h.f.Conversations() {
		if c.MergedInto != 0 {
			continue // its threads live on in the surviving conversation
		}
		t := deskThread{
			ID: strconv.FormatInt(c.ID, 10), Contact: names[c.CustomerID], Photo: photos[c.CustomerID],
			Label: fmt.Sprintf("#%d · %s · %s", c.Number, c.Subject, c.Status),
			State: stateOpen,
		}
		switch {
		case c.Status == "closed":
			t.State = stateClosed
		case c.Assignee != nil:
			t.State, t.ClaimedBy = stateClaimed, strings.TrimSpace(c.Assignee.First+" "+c.Assignee.Last)
		}
		t.Actions = actionsFor(t.State)
		for _, th := range c.Threads {
			if th.State != "" && th.State != "published" {
				continue // drafts and hidden replies are not in the conversation yet
			}
			text, files := fromHTML(th.Text)
			m := deskMessage{From: "customer", Text: text, Files: files, At: th.CreatedAt}
			switch th.Type {
			case "reply":
				m.From = "agent"
			case "note":
				m.From, m.Kind = "note", "note"
			}
			for _, f := range th.Files {
				m.Files = append(m.Files, deskFile{Name: f.Name, Size: humanSize(int64(len(f.Data)))})
			}
			t.Messages = append(t.Messages, m)
		}
		sortMessages(t.Messages)
		out = append(out, t)
	}
	return out
}

func (h *helpScoutDesk) Reply(ctx context.Context, threadID, text string) error {
	id, err := strconv.ParseInt(threadID, 10, 64)
	if err != nil {
		return fmt.Errorf("no Help Scout conversation %q", threadID)
	}
	if _, ok := h.f.Conversation(id); !ok {
		return fmt.Errorf("no Help Scout conversation %d", id)
	}
	_, res, err := h.f.Reply(ctx, id, helpscoutfake.Reply{HTML: toHTML(text)}, false)
	if err != nil {
		return fmt.Errorf("help scout agent reply: %w", err)
	}
	if res.Status/100 != 2 {
		return fmt.Errorf("the host answered Help Scout's webhook with %d: %s", res.Status, res.Body)
	}
	return nil
}

// Act does in the fake what an agent does in Help Scout's UI, which sends
// the host the matching webhook: assigning claims, unassigning unclaims,
// the status closed closes and active reopens.
func (h *helpScoutDesk) Act(ctx context.Context, threadID, action string) error {
	id, err := strconv.ParseInt(threadID, 10, 64)
	if err != nil {
		return fmt.Errorf("no Help Scout conversation %q", threadID)
	}
	agent := helpscoutfake.Anna
	var res helpscoutfake.WebhookResult
	switch action {
	case "claim":
		res, err = h.f.Assign(ctx, id, &agent)
	case "unclaim":
		res, err = h.f.Assign(ctx, id, nil)
	case "close":
		res, err = h.f.ChangeStatus(ctx, id, "closed", &agent)
	case "reopen":
		res, err = h.f.ChangeStatus(ctx, id, "active", &agent)
	default:
		return fmt.Errorf("unknown action %q", action)
	}
	if err != nil {
		return fmt.Errorf("help scout %s: %w", action, err)
	}
	if res.Status/100 != 2 {
		return fmt.Errorf("the host answered Help Scout's webhook with %d: %s", res.Status, res.Body)
	}
	return nil
}

func (h *helpScoutDesk) Close() { h.f.Close() }
