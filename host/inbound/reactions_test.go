package inbound

import (
	"context"
	"reflect"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/intake"
)

// reactionStore records the reactions the handler commits.
type reactionStore struct {
	fakeStore
	reactions []store.ReactionUpdate
	known     bool
}

func (r *reactionStore) CommitReaction(_ context.Context, u store.ReactionUpdate) (store.ReactionResult, error) {
	r.reactions = append(r.reactions, u)
	return store.ReactionResult{Known: r.known, ConversationID: "c1"}, nil
}

// A customer's reaction update is committed as the emoji it added and
// removed (Telegram sends both whole lists), custom emoji left out; the
// desks are woken only for a reaction on an agent's reply; a reaction in
// a group is no customer's and goes the usual way (ignored).
func TestReactionsAreCommittedAsTheirDifference(t *testing.T) {
	const old = `"old_reaction":[{"type":"emoji","emoji":"👍"},{"type":"emoji","emoji":"🔥"}]`
	const now = `"new_reaction":[{"type":"emoji","emoji":"🔥"},{"type":"emoji","emoji":"🎉"},{"type":"custom_emoji","custom_emoji_id":"5"}]`
	body := `"message_reaction":{"chat":{"id":77,"type":"private"},"message_id":12,"user":{"id":77,"is_bot":false,"first_name":"Ana"},"date":1764849600,` + old + `,` + now + `}`
	st := &reactionStore{known: true}
	h, obs, notified := newHandler(&st.fakeStore, "")
	h.Store = st
	if err := h.Handle(t.Context(), []intake.Update{update(t, 40, body)}); err != nil {
		t.Fatal(err)
	}
	want := []store.ReactionUpdate{{UpdateID: 40, ChatID: 77, MessageID: 12, Added: []string{"🎉"}, Removed: []string{"👍"}}}
	if !reflect.DeepEqual(st.reactions, want) {
		t.Errorf("committed %+v, want %+v", st.reactions, want)
	}
	if *notified != 1 || obs["reaction"] != 1 || len(st.commits) != 0 {
		t.Errorf("notified %d, counted %v, inbound commits %d", *notified, obs, len(st.commits))
	}

	st.known = false
	if err := h.Handle(t.Context(), []intake.Update{update(t, 41, body)}); err != nil {
		t.Fatal(err)
	}
	if *notified != 1 {
		t.Error("a reaction on no agent reply woke the dispatcher")
	}

	group := `"message_reaction":{"chat":{"id":-100,"type":"supergroup","title":"G"},"message_id":12,"user":{"id":77,"is_bot":false,"first_name":"Ana"},"date":1764849600,` + old + `,` + now + `}`
	if err := h.Handle(t.Context(), []intake.Update{update(t, 42, group)}); err != nil {
		t.Fatal(err)
	}
	if len(st.reactions) != 2 || len(st.commits) != 1 || st.commits[0].ChatID != 0 {
		t.Errorf("a group's reaction: reactions %d, inbound %+v; want it committed as ignored", len(st.reactions), st.commits)
	}
}
