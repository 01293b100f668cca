package demo

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// telegramGroupChannel is the channel name the demo gives the staff group.
const telegramGroupChannel = "staff"

// telegramGroupDesk is the Telegram staff group plugin on the demo's own
// fake Telegram: a second bot (the staff bot) administers a forum
// supergroup, the plugin opens a topic per conversation, and the agent
// answers by writing in the topic, which the fake hands to the staff bot's
// getUpdates loop. Lifecycle buttons type /claim, /close... in the topic.
type telegramGroupDesk struct {
	tg    *telegramtest.Server
	staff *telegramtest.Bot
	group telego.Chat
	agent telego.User

	mu     sync.Mutex
	agents []agentReply // what the agent wrote, by topic id
}

func newTelegramGroupDesk(tg *telegramtest.Server) *telegramGroupDesk {
	staff := tg.AddBot(telegramtest.BotOptions{Bot: telego.User{FirstName: "Acme Staff", Username: "acme_staff_bot"}})
	first, last, _ := strings.Cut(demoAgent, " ")
	agent := tg.RegisterUser(telego.User{FirstName: first, LastName: last, Username: "grace"})
	group := tg.AddSupergroup(telegramtest.SupergroupOptions{Title: "Acme support", Forum: true, Owner: agent.ID,
		Admins: map[int64]telegramtest.AdminRights{staff.User().ID: {CanManageTopics: true}}})
	return &telegramGroupDesk{tg: tg, staff: staff, group: group, agent: agent}
}

func (d *telegramGroupDesk) Channel() channelSpec {
	return channelSpec{
		Name: telegramGroupChannel, Plugin: "telegramgroup",
		// Links, not uploads: the desk pane shows files as the host's links.
		Config: fmt.Sprintf("bot_token = \"${DEMO_STAFF_BOT_TOKEN}\"\ngroup_id = %d\napi_url = %q\nupload_files = false\n", d.group.ID, d.tg.URL()),
		Env:    map[string]string{"DEMO_STAFF_BOT_TOKEN": d.staff.Token()},
	}
}

var (
	// topicNumberRE is the "#42" a topic's name ends with.
	topicNumberRE = regexp.MustCompile(`\s#(\d+)$`)
	// groupNoteRE is the plugin's line for a lifecycle notice or the
	// header, which the pane shows as notes.
	groupNoteRE = regexp.MustCompile(`^(👤|👀|↩️|✅|ℹ️|⭐|⚠️|Unclaimed by)`)
)

// Threads lists the topics: the staff bot's posts are the customer's side
// (its header and lifecycle lines are notes), the agent's the rest. The
// state is read off the topic (closed) and the last claim line.
func (d *telegramGroupDesk) Threads() []deskThread {
	var out []deskThread
	d.mu.Lock()
	agents := append([]agentReply(nil), d.agents...)
	d.mu.Unlock()
	sent := d.staff.SentTo(d.group.ID)
	for _, tp := range d.tg.Topics(d.group.ID) {
		name := strings.TrimPrefix(tp.Name, "✅ ")
		t := deskThread{ID: strconv.Itoa(tp.MessageThreadID), Contact: topicNumberRE.ReplaceAllString(name, ""), State: stateOpen}
		if g := topicNumberRE.FindStringSubmatch(name); g != nil {
			t.Label = "#" + g[1]
		}
		for _, s := range sent {
			if s.MessageThreadID != tp.MessageThreadID || s.Method == "editMessageText" {
				continue
			}
			text, files := groupFiles(s.Message)
			m := deskMessage{From: "customer", Text: text, Files: files, At: s.At}
			if groupNoteRE.MatchString(text) {
				m.From = "note"
			}
			switch {
			case strings.HasPrefix(text, "👀 Claimed by "):
				t.State, t.ClaimedBy = stateClaimed, strings.TrimPrefix(text, "👀 Claimed by ")
			case strings.HasPrefix(text, "Unclaimed by"), strings.HasPrefix(text, "↩️"):
				t.State, t.ClaimedBy = stateOpen, ""
			}
			for _, f := range s.Files {
				m.Files = append(m.Files, deskFile{Name: f.Name, Size: humanSize(int64(len(f.Data)))})
			}
			t.Messages = append(t.Messages, m)
		}
		if tp.Closed {
			t.State, t.ClaimedBy = stateClosed, ""
		}
		for _, a := range agents {
			if a.thread == t.ID {
				t.Messages = append(t.Messages, a.msg)
			}
		}
		t.Actions = actionsFor(t.State)
		sortMessages(t.Messages)
		out = append(out, t)
	}
	return out
}

// topic resolves a pane thread id to a topic of the group.
func (d *telegramGroupDesk) topic(threadID string) (int, error) {
	id, err := strconv.Atoi(threadID)
	if err == nil {
		for _, tp := range d.tg.Topics(d.group.ID) {
			if tp.MessageThreadID == id {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("no topic %q in the staff group", threadID)
}

// Reply writes the agent's text in the topic.
func (d *telegramGroupDesk) Reply(_ context.Context, threadID, text string) error {
	topic, err := d.topic(threadID)
	if err != nil {
		return err
	}
	m := d.tg.PostInTopic(d.group.ID, topic, d.agent.ID, text)
	d.mu.Lock()
	d.agents = append(d.agents, agentReply{thread: threadID, msg: deskMessage{From: "agent", Text: text, At: time.Unix(m.Date, 0)}})
	d.mu.Unlock()
	return nil
}

// Act types the action's command in the topic, as the agent.
func (d *telegramGroupDesk) Act(_ context.Context, threadID, action string) error {
	topic, err := d.topic(threadID)
	if err != nil {
		return err
	}
	d.tg.PostInTopic(d.group.ID, topic, d.agent.ID, "/"+action)
	return nil
}

// Close has nothing to stop: the fake Telegram is the demo's own.
func (d *telegramGroupDesk) Close() {}

// fileLineRE is the plugin's line for a file it links ("📎 name (size)")
// or cannot fetch ("⚠️ name (size) is too large…").
var fileLineRE = regexp.MustCompile(`^(📎|⚠️) (.+?)(?: \(([^)]*)\))?( is too large.*)?$`)

// groupFiles splits the plugin's file lines off a message's text: the demo
// runs with upload_files off, so a customer's file is a line linking the
// host's signed URL (a text_link entity), or the too-large alert.
func groupFiles(m telego.Message) (string, []deskFile) {
	text := m.Text + m.Caption
	entities := append(m.Entities, m.CaptionEntities...)
	units := utf16.Encode([]rune(text))
	links := map[string]string{}
	for _, e := range entities {
		if e.Type == "text_link" && e.Offset >= 0 && e.Offset+e.Length <= len(units) {
			links[string(utf16.Decode(units[e.Offset:e.Offset+e.Length]))] = e.URL
		}
	}
	var keep []string
	var files []deskFile
	for _, line := range strings.Split(text, "\n") {
		g := fileLineRE.FindStringSubmatch(line)
		switch {
		case g != nil && g[1] == "📎" && links[g[2]] != "":
			files = append(files, deskFile{Name: g[2], Size: g[3], URL: links[g[2]]})
		case g != nil && g[1] == "⚠️" && g[4] != "":
			files = append(files, deskFile{Name: g[2], Size: g[3], TooLarge: true})
		default:
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n"), files
}
