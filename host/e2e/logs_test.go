package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// A whole session logged as JSON: every line parses, lines about a message
// name its conversation and channel, and no secret from the config (bot
// token, desk secret) appears anywhere — not even inside file links or
// Telegram errors.
func TestLogsAreJSONAndSecretFree(t *testing.T) {
	e := newEnv(t, "")
	writeFile(t, e.config, strings.Replace(readFile(t, e.config), "[log]\nlevel = \"debug\"", "[log]\nlevel = \"debug\"\nformat = \"json\"", 1))
	e.start()
	u := e.tg.AddUser(telego.User{FirstName: "Lou"})
	e.tg.SendText(u.ID, "/start")
	e.tg.SendDocument(u.ID, []byte("secret-free bytes"), "notes.txt", "text/plain", "see file")
	e.tg.SendText(u.ID, "hello")
	if !e.desk.WaitCount(2, 15*time.Second) {
		t.Fatalf("no delivery\n%s", tail(e.Logs(), 20))
	}
	conv := e.desk.Received()[0].ConversationID
	e.desk.FailNext(1, 500) // one failed attempt to log
	e.tg.SendText(u.ID, "again")
	if status, _ := e.reply(webhookdesk.Reply{ConversationID: conv, ID: "x1", Text: "answer"}); status != 200 {
		t.Fatal("reply refused")
	}
	e.tg.Block(u.ID)
	e.reply(webhookdesk.Reply{ConversationID: conv, ID: "x2", Text: "blocked now"})
	e.desk.WaitCount(4, 15*time.Second)
	e.stop()

	logs := e.Logs()
	for _, secret := range []string{e.tg.Token(), e.secret, strings.SplitN(e.tg.Token(), ":", 2)[1]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret from the config appears in the log")
		}
	}
	about := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["@module"] == "parley.dispatch" && rec["delivery"] != nil {
			about++
			if rec["conversation"] == nil || rec["channel"] == nil || rec["message"] == nil {
				t.Errorf("a line about a delivery lacks conversation, channel or message: %s", line)
			}
		}
	}
	if about == 0 {
		t.Fatal("no dispatch log line about a delivery was seen")
	}
}
