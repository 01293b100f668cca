package sender_test

import (
	"context"
	"slices"
	"testing"

	"github.com/parley-dev/parley/host/telegram/sender"
	"github.com/parley-dev/parley/sdk"
)

// Reactions, deletes and profile photos against the fake Bot API: an
// emoji outside Telegram's set is a permanent REACTION_INVALID; an empty
// emoji removes the reaction; deleting a message twice is no error;
// the profile photo is the smallest size of at least 64 px, and a hidden
// one is "".
func TestReactDeleteAndProfilePhoto(t *testing.T) {
	e := setup(t)
	s := e.sender(fast)
	ctx := context.Background()
	m := e.fake.SendText(ann, "hi")
	if err := s.SetReaction(ctx, ann, int64(m.MessageID), "👍"); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Reactions(ann, m.MessageID); !slices.Equal(got, []string{"👍"}) {
		t.Errorf("reactions %v", got)
	}
	err := s.SetReaction(ctx, ann, int64(m.MessageID), "🦆")
	if !sdk.IsPermanent(err) || !sender.IsReactionInvalid(err) {
		t.Errorf("a duck: %v, want a permanent REACTION_INVALID", err)
	}
	if err := s.SetReaction(ctx, ann, int64(m.MessageID), ""); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Reactions(ann, m.MessageID); len(got) != 0 {
		t.Errorf("reactions %v after removing", got)
	}

	if err := s.DeleteMessage(ctx, ann, int64(m.MessageID)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMessage(ctx, ann, int64(m.MessageID)); err != nil {
		t.Errorf("deleting it again: %v, want no error (it is gone)", err)
	}

	e.fake.SetProfilePhotos(ann, []byte("jpeg"))
	id, err := s.ProfilePhoto(ctx, ann, 64)
	if err != nil || id == "" {
		t.Fatalf("Ann's photo: %q, %v", id, err)
	}
	if big, _ := s.ProfilePhoto(ctx, ann, 300); big == id || big == "" {
		t.Errorf("at least 300 px gave %q, the same as at least 64 px", big)
	}
	if huge, _ := s.ProfilePhoto(ctx, ann, 5000); huge == "" {
		t.Error("no size of 5000 px: want the largest, got none")
	}
	e.fake.HideProfilePhotos(ann)
	if id, err := s.ProfilePhoto(ctx, ann, 64); err != nil || id != "" {
		t.Errorf("a hidden photo: %q, %v; want none", id, err)
	}
	if id, err := s.ProfilePhoto(ctx, bob, 64); err != nil || id != "" {
		t.Errorf("no photo: %q, %v; want none", id, err)
	}
	if err := s.Typing(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if acts := e.fake.ChatActions(ann); len(acts) != 1 || acts[0].Action != "typing" {
		t.Errorf("chat actions %+v", acts)
	}
}
