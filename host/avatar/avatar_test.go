package avatar

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

type photoStore struct {
	mu  sync.Mutex
	set map[string]string
}

func (p *photoStore) SetContactPhoto(_ context.Context, id, ref string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set[id] = ref
	return nil
}

func (p *photoStore) got() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.set)
}

func conv(id string, user int64, ref string) store.Conversation {
	return store.Conversation{ID: id, Contact: sdk.Contact{TelegramUserID: user}, PhotoRef: ref}
}

// Each new conversation's photo is looked up once and recorded: a file_id,
// NoPhoto for none; a failed lookup records nothing; a conversation looked
// up before, or without a user, is not asked again; a full queue drops
// rather than blocking intake.
func TestFetcher(t *testing.T) {
	var mu sync.Mutex
	asked := map[int64]int{}
	lookup := func(_ context.Context, c store.Conversation) (string, error) {
		user := c.Contact.TelegramUserID
		mu.Lock()
		defer mu.Unlock()
		asked[user]++
		switch user {
		case 1:
			return "AgAD1", nil
		case 3:
			return "", errors.New("502 Bad Gateway")
		}
		return "", nil
	}
	st := &photoStore{set: map[string]string{}}
	f := New(lookup, st, nil, 3)
	for _, c := range []store.Conversation{conv("c1", 1, ""), conv("c2", 2, ""), conv("c3", 3, ""),
		conv("c4", 4, ""), conv("c5", 5, "AgAD5"), conv("c6", 0, "")} {
		f.Enqueue(c) // c4 finds the queue full
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done })
	want := map[string]string{"c1": "AgAD1", "c2": store.NoPhoto}
	testwait.For(t, "the photos are recorded", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return asked[3] == 1 && maps.Equal(st.got(), want)
	})
	mu.Lock()
	defer mu.Unlock()
	if asked[4]+asked[5]+asked[0] != 0 || asked[1] != 1 {
		t.Errorf("asked %v: want users 1, 2 and 3 once each", asked)
	}
}
