package lifetime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// fakeStore hands out purge results in order and records the calls.
type fakeStore struct {
	results []store.Purged
	befores []time.Time
	limits  []int
	forgot  []sdk.Notice
}

func (f *fakeStore) PurgeFinished(_ context.Context, before time.Time, limit int) (store.Purged, error) {
	f.befores, f.limits = append(f.befores, before), append(f.limits, limit)
	if len(f.results) == 0 {
		return store.Purged{}, nil
	}
	p := f.results[0]
	f.results = f.results[1:]
	return p, nil
}

func (f *fakeStore) ForgetTelegramUser(_ context.Context, _ int64, n sdk.Notice) (store.Forgotten, error) {
	f.forgot = append(f.forgot, n)
	return store.Forgotten{Conversations: 1, Erased: 1, Messages: 3, Notified: []string{"slack"}}, nil
}

// A purge works in batches until one comes back short, all with the same
// cut-off, and reports each batch.
func TestPurgeInBatches(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	st := &fakeStore{results: []store.Purged{{Messages: 2, Replies: 1}, {Messages: 1, Replies: 2}, {Messages: 1}}}
	var seen []store.Purged
	r := Retention{Store: st, Keep: 90 * 24 * time.Hour, Batch: 2, Pause: time.Millisecond,
		Now: func() time.Time { return now }, Observe: func(p store.Purged) { seen = append(seen, p) }}
	total, err := r.Purge(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if total != (store.Purged{Messages: 4, Replies: 3}) || len(st.befores) != 3 || len(seen) != 3 {
		t.Fatalf("total %+v after %d calls, %d observed", total, len(st.befores), len(seen))
	}
	for i, b := range st.befores {
		if want := now.Add(-90 * 24 * time.Hour); !b.Equal(want) || st.limits[i] != 2 {
			t.Errorf("call %d: before %v limit %d, want %v and 2", i, b, st.limits[i], want)
		}
	}
}

// Keeping forever runs no purge at all.
func TestKeepForever(t *testing.T) {
	st := &fakeStore{}
	if err := (Retention{Store: st}).Run(t.Context()); err != nil || len(st.befores) != 0 {
		t.Fatalf("Run with no retention: %v, %d purges", err, len(st.befores))
	}
}

// Run purges at once, then again every period, until stopped.
func TestRunRepeats(t *testing.T) {
	st := &fakeStore{}
	ctx, cancel := context.WithCancel(t.Context())
	calls := make(chan struct{}, 10)
	r := Retention{Store: observing{st, calls}, Keep: time.Hour, Every: time.Millisecond}
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	for range 3 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatal("Run stopped purging")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type observing struct {
	*fakeStore
	calls chan struct{}
}

func (o observing) PurgeFinished(ctx context.Context, before time.Time, limit int) (store.Purged, error) {
	select {
	case o.calls <- struct{}{}:
	default:
	}
	return o.fakeStore.PurgeFinished(ctx, before, limit)
}

func TestForgetTellsTheDesks(t *testing.T) {
	st := &fakeStore{}
	f, err := Forget(t.Context(), st, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.forgot) != 1 || st.forgot[0].Code != sdk.NoticeDataErased ||
		!strings.Contains(st.forgot[0].Text, "deleted from Parley at the operator's request") || !strings.Contains(st.forgot[0].Text, "keeps its own copy") {
		t.Fatalf("notice %+v", st.forgot)
	}
	if got := Describe(42, f); !strings.Contains(got, "deleted 3 messages") || !strings.Contains(got, "[slack]") {
		t.Errorf("Describe: %s", got)
	}
	if _, err := Forget(t.Context(), st, -1); err == nil {
		t.Error("Forget(-1) succeeded")
	}
	for _, tt := range []struct {
		f    store.Forgotten
		want string
	}{
		{store.Forgotten{}, "no conversation"},
		{store.Forgotten{Conversations: 1}, "already forgotten"},
	} {
		if got := Describe(7, tt.f); !strings.Contains(got, tt.want) {
			t.Errorf("Describe(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
