package dispatch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/sqlite"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

// countingStore is a real SQLite store that records how deliveries are
// completed: the sizes of grouped transactions and the single ones.
type countingStore struct {
	*sqlite.Store
	mu      sync.Mutex
	groups  []int
	singles int
}

func (s *countingStore) CompleteDeliveries(ctx context.Context, owner string, cs []store.Completion) ([]error, error) {
	s.mu.Lock()
	s.groups = append(s.groups, len(cs))
	s.mu.Unlock()
	return s.Store.CompleteDeliveries(ctx, owner, cs)
}

func (s *countingStore) CompleteDelivery(ctx context.Context, id int64, owner string, ref []byte, deskID string) error {
	s.mu.Lock()
	s.singles++
	s.mu.Unlock()
	return s.Store.CompleteDelivery(ctx, id, owner, ref, deskID)
}

func (s *countingStore) counts() ([]int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.groups), s.singles
}

// plainStore hides every optional interface: a driver without batches.
type plainStore struct{ store.Store }

// desk is an in-process channel whose Deliver the test scripts.
type desk struct {
	deliver func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error)
}

func (d desk) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{}, nil
}
func (d desk) Configure(context.Context, sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	return sdk.ConfigureResponse{}, nil
}
func (d desk) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{}, nil
}
func (d desk) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	return d.deliver(ctx, req)
}

type channels map[string]sdk.Channel

func (c channels) Channel(name string) (sdk.Channel, bool) { ch, ok := c[name]; return ch, ok }

func openStore(t *testing.T) *countingStore {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &countingStore{Store: s}
}

// commit stores one message per (chat, id) pair, in order.
func commit(t *testing.T, s store.Store, chats []int64, ids []string) {
	t.Helper()
	for i := range ids {
		_, err := s.CommitInbound(t.Context(), store.Inbound{
			UpdateID: int64(i + 1), ChatID: chats[i], Channels: []string{"desk"},
			Messages: []sdk.Message{{ID: ids[i], Kind: sdk.KindText, Text: ids[i]}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// run starts a dispatcher and stops it when the test ends.
func run(t *testing.T, s store.Store, ch sdk.Channel, opts dispatch.Options) {
	t.Helper()
	opts.PollInterval = 10 * time.Millisecond
	d := dispatch.New(dispatch.Config{Store: s, Channels: channels{"desk": ch}, Options: opts})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitDone waits until nothing is pending in the outbox.
func waitDone(t *testing.T, s store.Store) {
	t.Helper()
	var last []store.Backlog
	if !testwait.Poll(30*time.Second, func() bool {
		bl, err := s.Backlog(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		last = bl
		for _, b := range bl {
			if b.Pending+b.Failed > 0 {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("deliveries still pending or failed after 30s: %+v", last)
	}
}

func TestCompletionsShareATransaction(t *testing.T) {
	s := openStore(t)
	const workers, lanes = 8, 24
	var chats []int64
	var ids []string
	for i := range lanes {
		chats = append(chats, int64(100+i))
		ids = append(ids, fmt.Sprintf("m%d", i))
	}
	commit(t, s, chats, ids)

	// The first wave of deliveries is held until all workers are busy,
	// then let go at once: their completions arrive together.
	entered := make(chan struct{}, lanes+1)
	release := make(chan struct{})
	var mu sync.Mutex
	threads := map[string]string{} // message → thread the lane had
	ch := desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		mu.Lock()
		threads[req.Message.ID] = string(req.ThreadRef)
		mu.Unlock()
		entered <- struct{}{}
		<-release
		return sdk.DeliverResponse{ThreadRef: []byte("t-" + req.Conversation.ID), DeskMessageID: "d-" + req.Message.ID}, nil
	}}
	// A window far longer than the test: a group closes only when every
	// busy worker has joined it (or it is full).
	run(t, s, ch, dispatch.Options{Concurrency: workers, CompleteWindow: time.Minute})
	for range workers {
		<-entered
	}
	close(release)
	waitDone(t, s)

	groups, singles := s.counts()
	if singles != 0 {
		t.Errorf("%d deliveries completed one transaction each; the store completes in groups", singles)
	}
	total := 0
	for _, n := range groups {
		total += n
	}
	if total != lanes {
		t.Errorf("groups %v record %d completions, want %d", groups, total, lanes)
	}
	if len(groups) == 0 || groups[0] != workers {
		t.Errorf("first group holds %v completions, want all %d released together", groups, workers)
	}
	// The thread each delivery returned was recorded with it: the lane's
	// next message carries it.
	_, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: 1000, ChatID: 100, Channels: []string{"desk"},
		Messages: []sdk.Message{{ID: "next", Kind: sdk.KindText, Text: "next"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, s)
	c, err := s.ConversationByChat(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := threads["next"]; got != "t-"+c.ID {
		t.Errorf("the lane's next delivery carried thread %q, want %q", got, "t-"+c.ID)
	}
}

func TestGroupedCompletionsKeepLaneOrder(t *testing.T) {
	s := openStore(t)
	const n = 30
	var chats []int64
	var ids []string
	for i := range n {
		// One busy lane among a few others, interleaved.
		chats = append(chats, []int64{1, 1, 2, 3}[i%4])
		ids = append(ids, fmt.Sprintf("m%02d", i))
	}
	commit(t, s, chats, ids)

	var mu sync.Mutex
	lane := map[int64][]string{}
	var problems []string
	ch := desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		chat := req.Conversation.TelegramChatID
		if prev := lane[chat]; len(prev) > 0 {
			// The previous message of the lane must be recorded done
			// before the next one is handed out.
			done, err := s.Queue(ctx, 100, store.StateDone)
			if err != nil {
				return sdk.DeliverResponse{}, err
			}
			if !slices.ContainsFunc(done, func(r store.QueueRow) bool { return r.MessageID == prev[len(prev)-1] }) {
				problems = append(problems, fmt.Sprintf("%s delivered before %s was recorded", req.Message.ID, prev[len(prev)-1]))
			}
		}
		lane[chat] = append(lane[chat], req.Message.ID)
		return sdk.DeliverResponse{DeskMessageID: "d-" + req.Message.ID}, nil
	}}
	// One row per call: runs hand a lane's next rows out before the first
	// is recorded, on purpose (runs_test.go checks them).
	run(t, s, ch, dispatch.Options{Concurrency: 4, CompleteWindow: 5 * time.Millisecond, RunLength: 1})
	waitDone(t, s)

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	for chat, got := range lane {
		var want []string
		for i := range ids {
			if chats[i] == chat {
				want = append(want, ids[i])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("chat %d: delivered %v, want %v", chat, got, want)
		}
	}
}

func TestLoneDeliveryDoesNotWaitForTheWindow(t *testing.T) {
	s := openStore(t)
	commit(t, s, []int64{7}, []string{"only"})
	delivered := make(chan struct{}, 1)
	ch := desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		delivered <- struct{}{}
		return sdk.DeliverResponse{}, nil
	}}
	// With nothing else in flight the group commits at once; were it to
	// wait out the window, the outbox would stay pending past the deadline.
	run(t, s, ch, dispatch.Options{Concurrency: 4, CompleteWindow: time.Hour})
	<-delivered
	waitDone(t, s)
}

func TestStoreWithoutBatchesCompletesOneByOne(t *testing.T) {
	s := openStore(t)
	commit(t, s, []int64{1, 2, 3, 1}, []string{"a", "b", "c", "d"})
	ch := desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		return sdk.DeliverResponse{}, nil
	}}
	run(t, plainStore{s}, ch, dispatch.Options{Concurrency: 4})
	waitDone(t, s)
	groups, singles := s.counts()
	if len(groups) != 0 || singles != 4 {
		t.Errorf("groups %v, singles %d: want four single completions", groups, singles)
	}
}
