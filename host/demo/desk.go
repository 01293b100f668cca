package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// desk is the support desk behind the plugin: a fake of the real service
// that the desk pane reads and answers through.
type desk interface {
	// Channel is the channel's table for the host configuration.
	Channel() channelSpec
	// Threads lists the desk's conversations, most recent activity last.
	Threads() []deskThread
	// Reply answers a thread as the agent, through the desk's webhook into
	// the host.
	Reply(ctx context.Context, threadID, text string) error
	// Close stops the fake.
	Close()
}

// actor is a desk whose pane has lifecycle buttons: Act sends the agent's
// action ("claim", "unclaim", "close" or "reopen") the way that desk would.
type actor interface {
	Act(ctx context.Context, threadID, action string) error
}

// Lifecycle actions and states as the host names them.
const (
	stateOpen    = "open"
	stateClaimed = "claimed"
	stateClosed  = "closed"
)

// demoAgent is the agent the visitor plays at the desk: actions carry this
// name, so the notices read "Grace Hopper closed conversation #1."
const demoAgent = "Grace Hopper"

// actionsFor is the buttons a conversation in state offers.
func actionsFor(state string) []string {
	switch state {
	case stateOpen:
		return []string{"claim", "close"}
	case stateClaimed:
		return []string{"unclaim", "close"}
	case stateClosed:
		return []string{"reopen"}
	}
	return nil
}

// validAction reports whether action is one the desk pane may send.
func validAction(action string) bool {
	switch action {
	case "claim", "unclaim", "close", "reopen":
		return true
	}
	return false
}

// channelSpec is one [channels.<Name>] table.
type channelSpec struct {
	Name, Plugin string
	// Config is the TOML body of [channels.<Name>.config]; secrets are
	// written as ${VAR} references resolved from Env, so they stay off disk.
	Config string
	Env    map[string]string
}

// deskThread is one conversation in the desk pane.
type deskThread struct {
	ID      string `json:"id"`
	Contact string `json:"contact"`
	// Label is how the desk names the conversation ("#42"); the page shows
	// the start of ID when empty.
	Label string `json:"label,omitempty"`
	// State is the conversation's lifecycle state as the desk knows it
	// ("open", "claimed", "closed"); empty where the desk does not say.
	State     string `json:"state,omitempty"`
	ClaimedBy string `json:"claimed_by,omitempty"`
	// Status is the state as the desk words it ("👀 Claimed by Alice
	// Agent"), when the desk shows one; the page words State otherwise.
	Status string `json:"status,omitempty"`
	// Actions are the lifecycle buttons the pane shows for the thread;
	// empty for a desk without them.
	Actions  []string      `json:"actions,omitempty"`
	Messages []deskMessage `json:"messages"`
	// Photo is the customer's profile photo as the desk got it (the host's
	// signed /files/ link); empty until the host has looked it up, and for
	// desks that show none.
	Photo string `json:"photo,omitempty"`
}

// deskMessage is one message in a desk thread.
type deskMessage struct {
	// From is "customer", "agent" or "note" (a desk-internal note, such as
	// a host notice).
	From  string     `json:"from"`
	Kind  string     `json:"kind,omitempty"`
	Text  string     `json:"text"`
	Files []deskFile `json:"files,omitempty"`
	At    time.Time  `json:"at"`
}

// deskFile is an attachment as the desk got it.
type deskFile struct {
	Name string `json:"name"`
	Size string `json:"size"`
	// URL is the host's signed /files/ link; empty for a too-large file.
	URL      string `json:"url,omitempty"`
	TooLarge bool   `json:"too_large,omitempty"`
}

// webhookDesk is the webhook plugin's desk: it receives the plugin's signed
// POSTs and answers with signed POSTs to the host's /hooks/<channel>.
type webhookDesk struct {
	d       *webhookdesk.Desk
	secret  string
	hookURL string

	mu      sync.Mutex
	replies []agentReply
	seq     int
}

type agentReply struct {
	thread string
	msg    deskMessage
}

// webhookChannel is the channel name the demo gives the webhook desk.
const webhookChannel = "desk"

func newWebhookDesk(publicURL string) (*webhookDesk, error) {
	secret := randomHex(24)
	d := webhookdesk.New(secret)
	if err := d.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("webhook desk: %w", err)
	}
	return &webhookDesk{d: d, secret: secret, hookURL: publicURL + "/hooks/" + webhookChannel}, nil
}

func (w *webhookDesk) Channel() channelSpec {
	return channelSpec{
		Name: webhookChannel, Plugin: "webhook",
		Config: fmt.Sprintf("url = %q\nsecret = \"${DEMO_DESK_SECRET}\"\ntimeout = \"5s\"\n", w.d.URL()),
		Env:    map[string]string{"DEMO_DESK_SECRET": w.secret},
	}
}

func (w *webhookDesk) Threads() []deskThread {
	byID := map[string]*deskThread{}
	var order []string
	thread := func(id string) *deskThread {
		t, ok := byID[id]
		if !ok {
			t = &deskThread{ID: id}
			byID[id] = t
			order = append(order, id)
		}
		return t
	}
	for _, del := range w.d.Received() {
		t := thread(del.ConversationID)
		t.Contact = contactName(del.Contact)
		if del.Contact.PhotoURL != "" {
			t.Photo = del.Contact.PhotoURL
		}
		if n := del.Conversation.Number; n > 0 {
			t.Label = fmt.Sprintf("#%d", n)
		}
		// Every delivery carries the conversation's state when it was sent,
		// so the latest one is the state now.
		if st := del.Conversation.State; st != "" {
			t.State, t.ClaimedBy = st, del.Conversation.ClaimedBy
		}
		m := deskMessage{From: "customer", Kind: del.Message.Kind, Text: del.Message.Text, At: del.Received}
		if del.Message.Kind == "notice" {
			// Parley speaking (a state change, a rating): a desk note.
			m.From = "note"
		}
		for _, a := range del.Message.Attachments {
			m.Files = append(m.Files, deskFile{Name: a.Name, Size: humanSize(a.Size), URL: a.URL, TooLarge: a.TooLarge})
		}
		t.Messages = append(t.Messages, m)
	}
	w.mu.Lock()
	for _, r := range w.replies {
		t := thread(r.thread)
		t.Messages = append(t.Messages, r.msg)
	}
	w.mu.Unlock()
	out := make([]deskThread, 0, len(order))
	for _, id := range order {
		t := byID[id]
		t.Actions = actionsFor(t.State)
		sortMessages(t.Messages)
		out = append(out, *t)
	}
	return out
}

func (w *webhookDesk) Reply(ctx context.Context, threadID, text string) error {
	id := w.nextID("agent")
	status, body, err := w.d.SendReply(ctx, w.hookURL, webhookdesk.Reply{ConversationID: threadID, ID: id, Text: text})
	if err != nil {
		return fmt.Errorf("posting the reply to the host: %w", err)
	}
	if status/100 != 2 {
		return fmt.Errorf("the host answered the reply with %d: %s", status, body)
	}
	w.mu.Lock()
	w.replies = append(w.replies, agentReply{thread: threadID, msg: deskMessage{From: "agent", Text: text, At: time.Now()}})
	w.mu.Unlock()
	return nil
}

// Act sends the webhook plugin's signed action POST, as the agent.
func (w *webhookDesk) Act(ctx context.Context, threadID, action string) error {
	status, body, err := w.d.SendAction(ctx, w.hookURL, action, threadID, w.nextID("act"), demoAgent)
	if err != nil {
		return fmt.Errorf("posting the %s action to the host: %w", action, err)
	}
	if status/100 != 2 {
		return fmt.Errorf("the host answered the %s action with %d: %s", action, status, body)
	}
	return nil
}

// nextID is a fresh id for a reply or an action: the host applies each
// id once.
func (w *webhookDesk) nextID(prefix string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return fmt.Sprintf("%s-%d-%s", prefix, w.seq, randomHex(4))
}

func (w *webhookDesk) Close() { w.d.Close() }

func contactName(c webhookdesk.Contact) string {
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if c.Username != "" {
		name += " (@" + c.Username + ")"
	}
	return name
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func sortMessages(ms []deskMessage) {
	slices.SortStableFunc(ms, func(a, b deskMessage) int { return a.At.Compare(b.At) })
}
