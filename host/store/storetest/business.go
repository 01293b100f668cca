package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

var businessTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"Business/SaveAndRead", testBusinessSave},
	{"Business/PreviousState", testBusinessPrevious},
	{"Business/MessageTexts", testMessageTexts},
}

// MessageTexts reads stored messages' texts and leaves unknown ids out.
func testMessageTexts(t *testing.T, e *env) {
	e.commit(1, 77, []string{"slack"}, sdk.Message{ID: "tgb:c:77:1", Kind: sdk.KindText, Text: "my order number is 12"})
	got, err := e.s.MessageTexts(e.ctx, []string{"tgb:c:77:1", "tgb:c:77:2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["tgb:c:77:1"] != "my order number is 12" {
		t.Fatalf("MessageTexts = %v", got)
	}

	// The latest customer message, past a later owner's notice.
	e.commitAt(e.at(time.Second), 2, 77, []string{"slack"}, sdk.Message{ID: "tgb:c:77:5", Kind: sdk.KindText, Text: "hi", TelegramMessageID: 5})
	e.commitAt(e.at(2*time.Second), 3, 77, []string{"slack"}, sdk.Message{ID: "tgb:c:77:6", Kind: sdk.KindNotice, TelegramMessageID: 6,
		Notice: &sdk.Notice{Code: sdk.NoticeOwnerMessage, Text: "Ann replied from the Telegram app: ok"}})
	res := e.commitAt(e.at(3*time.Second), 4, 77, []string{"slack"})
	last, err := e.s.LastCustomerMessage(e.ctx, res.Conversation.ID)
	if err != nil || last != 5 {
		t.Fatalf("LastCustomerMessage = %d, %v; want 5", last, err)
	}
}

func connection(e *env, id string, enabled bool, rights ...string) store.BusinessConnection {
	return store.BusinessConnection{
		ID: id, UserID: 4200, Username: "shop", FirstName: "Ann", LastName: "Owner", UserChatID: 4200,
		Rights: rights, Enabled: enabled, Date: e.now.Add(-time.Hour), UpdatedAt: e.now,
	}
}

// A connection reads back as saved; an unknown one is ErrNotFound; the
// list holds every connection, most recently changed first.
func testBusinessSave(t *testing.T, e *env) {
	if _, err := e.s.BusinessConnection(e.ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown connection: err = %v, want ErrNotFound", err)
	}
	a := connection(e, "conn-a", true, store.RightReply, store.RightReadMessages)
	b := connection(e, "conn-b", false)
	b.UpdatedAt = e.now.Add(time.Minute)
	for _, c := range []store.BusinessConnection{a, b} {
		if _, found, err := e.s.SaveBusinessConnection(e.ctx, c); err != nil || found {
			t.Fatalf("save %s: found=%v err=%v", c.ID, found, err)
		}
	}
	got, err := e.s.BusinessConnection(e.ctx, "conn-a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("read back\n got %+v\nwant %+v", got, a)
	}
	if !got.Can(store.RightReply) || got.Problem() != "" {
		t.Fatalf("an enabled connection with can_reply reports a problem: %q", got.Problem())
	}
	list, err := e.s.BusinessConnections(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "conn-b" || list[1].ID != "conn-a" {
		t.Fatalf("list = %+v, want conn-b then conn-a", list)
	}
	if list[0].Rights == nil || len(list[0].Rights) != 0 || list[0].Problem() == "" {
		t.Fatalf("a disabled connection without rights: rights %v, problem %q", list[0].Rights, list[0].Problem())
	}
}

// Saving again replaces the row and hands back the state before, so the
// host can tell a disconnect (enabled → disabled) from a repeat.
func testBusinessPrevious(t *testing.T, e *env) {
	c := connection(e, "conn", true, store.RightReply)
	if _, err := saveConn(e, c); err != nil {
		t.Fatal(err)
	}
	c.Enabled, c.Rights, c.Username = false, []string{}, "renamed"
	c.UpdatedAt = e.now.Add(time.Minute)
	prev, err := saveConn(e, c)
	if err != nil {
		t.Fatal(err)
	}
	if !prev.Enabled || !prev.Can(store.RightReply) || prev.Username != "shop" {
		t.Fatalf("prev = %+v, want the enabled connection saved first", prev)
	}
	got, err := e.s.BusinessConnection(e.ctx, "conn")
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || got.Username != "renamed" || got.Can(store.RightReply) || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("after the second save: %+v", got)
	}
}

func saveConn(e *env, c store.BusinessConnection) (store.BusinessConnection, error) {
	prev, _, err := e.s.SaveBusinessConnection(e.ctx, c)
	return prev, err
}
