package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/logging"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/internal/testwait"
	"github.com/parley-dev/parley/sdk"
)

// flakyChannels is a Channels whose "desk" is down (not found, or found
// but answering "unavailable") until up is set, counting every look-up.
type flakyChannels struct {
	desk       sdk.Channel
	notFound   bool // down means Channel reports false
	up         atomic.Bool
	lookups    atomic.Int64
	downLookup chan struct{} // one token per look-up while down
}

func (c *flakyChannels) Channel(name string) (sdk.Channel, bool) {
	if name != "desk" {
		return nil, false
	}
	if c.up.Load() {
		return c.desk, true
	}
	c.lookups.Add(1)
	select {
	case c.downLookup <- struct{}{}:
	default:
	}
	if c.notFound {
		return nil, false
	}
	return desk{deliver: func(context.Context, sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		// As the plugin host answers while a plugin restarts, with a hint
		// far beyond max_backoff.
		return sdk.DeliverResponse{}, sdk.RetryAfter(fmt.Errorf("%w: plugin desk is restarting", dispatch.ErrChannelUnavailable), time.Hour)
	}}, true
}

// recordingDesk records what it delivered, per conversation, in order.
type recordingDesk struct {
	mu    sync.Mutex
	byTag map[int64][]string
}

func (r *recordingDesk) channel() desk {
	return desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.byTag == nil {
			r.byTag = map[int64][]string{}
		}
		r.byTag[req.Conversation.TelegramChatID] = append(r.byTag[req.Conversation.TelegramChatID], req.Message.ID)
		return sdk.DeliverResponse{DeskMessageID: "d-" + req.Message.ID}, nil
	}}
}

// A channel that is down for far longer than all its attempts would take
// (20 backoffs of max_backoff) loses nothing: once it is back, every
// message arrives in order, none failed and no attempt was spent.
func TestChannelOutageSpendsNoAttempts(t *testing.T) {
	for _, notFound := range []bool{false, true} {
		name := "plugin restarting"
		if notFound {
			name = "channel not running"
		}
		t.Run(name, func(t *testing.T) {
			s := openStore(t)
			var chats []int64
			var ids []string
			for i := range 12 {
				chats = append(chats, int64(1+i%3))
				ids = append(ids, fmt.Sprintf("m%02d", i))
			}
			commit(t, s, chats, ids)
			rec := &recordingDesk{}
			chs := &flakyChannels{desk: rec.channel(), notFound: notFound, downLookup: make(chan struct{}, 1)}
			const maxBackoff = 20 * time.Millisecond
			d := dispatch.New(dispatch.Config{Store: s, Channels: chs, Options: dispatch.Options{
				Concurrency: 4, MaxAttempts: 3, PollInterval: 5 * time.Millisecond, Grace: 100 * time.Millisecond,
				Backoff: dispatch.Backoff{Initial: 5 * time.Millisecond, Max: maxBackoff},
			}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = d.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			// The outage lasts until the dispatcher has looked at the
			// channel 20 times, each look at least a backoff apart: with
			// attempts spent, every row would have failed 3 attempts in.
			start := time.Now()
			for chs.lookups.Load() < 20 || time.Since(start) < 20*maxBackoff {
				failed, err := s.Queue(t.Context(), 100, store.StateFailed)
				if err != nil {
					t.Fatal(err)
				}
				if len(failed) > 0 {
					t.Fatalf("%d deliveries failed during the outage, e.g. %+v", len(failed), failed[0])
				}
				select {
				case <-chs.downLookup:
				case <-time.After(10 * time.Second):
					t.Fatalf("the dispatcher stopped looking at the channel after %d look-ups", chs.lookups.Load())
				}
			}
			chs.up.Store(true)
			waitDone(t, s)

			rec.mu.Lock()
			defer rec.mu.Unlock()
			for chat, got := range rec.byTag {
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
			if len(rec.byTag) != 3 {
				t.Errorf("deliveries reached %d conversations, want 3", len(rec.byTag))
			}
			rows, err := s.Queue(t.Context(), 100, store.StateDone)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Attempts != 0 {
					t.Errorf("%s: %d attempts spent on the outage", r.MessageID, r.Attempts)
				}
			}
		})
	}
}

// A desk's "retry in an hour" is cut to the operator's max backoff.
func TestRetryHintIsClampedToMaxBackoff(t *testing.T) {
	s := openStore(t)
	commit(t, s, []int64{1}, []string{"m1"})
	var once sync.Once
	ch := desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		var err error
		once.Do(func() { err = sdk.RetryAfter(errors.New("desk says: come back tomorrow"), 24*time.Hour) })
		return sdk.DeliverResponse{}, err
	}}
	run(t, s, ch, dispatch.Options{Concurrency: 2, Backoff: dispatch.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	// waitDone's deadline is far below the hint and far above the bound.
	waitDone(t, s)
	rows, err := s.Queue(t.Context(), 10, store.StateDone)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Attempts != 1 {
		t.Fatalf("rows %+v: want m1 delivered on its second attempt", rows)
	}
}

// hungChannels routes "a" to a desk that never answers (until the test
// ends) and "b" to one that does.
type hungChannels struct {
	hung    atomic.Int64
	release chan struct{}
	b       chan string
}

func (h *hungChannels) Channel(name string) (sdk.Channel, bool) {
	switch name {
	case "a":
		return desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
			h.hung.Add(1)
			select {
			case <-ctx.Done():
			case <-h.release:
			}
			return sdk.DeliverResponse{}, errors.New("desk a timed out")
		}}, true
	case "b":
		return desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
			h.b <- req.Message.ID
			return sdk.DeliverResponse{}, nil
		}}, true
	}
	return nil, false
}

// A desk that hangs on 200 conversations holds only its share of the
// workers; another desk's message still arrives at once.
func TestHungDeskDoesNotStarveOthers(t *testing.T) {
	s := openStore(t)
	for i := range 200 {
		_, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: int64(i + 1), ChatID: int64(1000 + i), Channels: []string{"a"},
			Messages: []sdk.Message{{ID: fmt.Sprintf("a%03d", i), Kind: sdk.KindText, Text: "hello"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	h := &hungChannels{release: make(chan struct{}), b: make(chan string, 1)}
	const concurrency = 8
	d := dispatch.New(dispatch.Config{Store: s, Channels: h, Options: dispatch.Options{
		Concurrency: concurrency, ChannelConcurrency: concurrency / 2, PollInterval: 10 * time.Millisecond,
		CallTimeout: time.Minute, Grace: 100 * time.Millisecond,
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { close(h.release); cancel(); <-done })

	testwait.For(t, "half the workers hang on the dead desk", func() bool { return h.hung.Load() >= concurrency/2 })
	start := time.Now()
	_, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: 1000, ChatID: 1, Channels: []string{"b"},
		Messages: []sdk.Message{{ID: "b1", Kind: sdk.KindText, Text: "hello"}}})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify()
	select {
	case id := <-h.b:
		if id != "b1" {
			t.Fatalf("desk b got %q", id)
		}
		t.Logf("desk b got its message %s after it was committed", time.Since(start).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Fatalf("desk b got nothing within 2s while desk a hangs on %d conversations", h.hung.Load())
	}
	if n := h.hung.Load(); n > concurrency/2 {
		t.Errorf("desk a holds %d workers, want at most %d", n, concurrency/2)
	}
}

// An error that quotes a secret (a token in a URL) reaches neither the
// store's last_error nor the text of a notice sent to a desk.
func TestSecretsInErrorsAreRedacted(t *testing.T) {
	const secret = "123456:AAE-secret-token-value"
	s := openStore(t)
	commit(t, s, []int64{1}, []string{"m1"})
	notices := make(chan string, 4)
	ch := desk{deliver: func(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
		if req.Message.Kind == sdk.KindNotice {
			notices <- req.Message.Text
			return sdk.DeliverResponse{}, nil
		}
		return sdk.DeliverResponse{}, sdk.Permanent(fmt.Errorf("POST https://api.example/bot%s/x: 400", secret))
	}}
	tg := &failingTelegram{err: sdk.Permanent(fmt.Errorf("Post \"https://api.telegram.org/bot%s/sendMessage\": refused", secret))}
	d := dispatch.New(dispatch.Config{Store: s, Channels: channels{"desk": ch}, Telegram: tg, Options: dispatch.Options{
		Concurrency: 2, PollInterval: 10 * time.Millisecond,
		Redact: logging.NewRedactor([]string{secret}).Redact,
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	conv, err := s.ConversationByChat(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitReplies(t.Context(), "desk", []sdk.Reply{{ConversationID: conv.ID, ExternalID: "r1", Text: "hi"}}); err != nil {
		t.Fatal(err)
	}
	d.Notify()
	var text string
	select {
	case text = <-notices:
	case <-time.After(10 * time.Second):
		t.Fatal("no notice reached the desk")
	}
	if strings.Contains(text, secret) || !strings.Contains(text, "could not be sent") {
		t.Errorf("notice text %q: want the failure without the secret", text)
	}
	rows, err := s.Queue(t.Context(), 10, store.StateFailed)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("failed rows %+v, want the delivery and the reply", rows)
	}
	for _, r := range rows {
		if strings.Contains(r.LastError, secret) || !strings.Contains(r.LastError, "400") && !strings.Contains(r.LastError, "refused") {
			t.Errorf("%s %d: last_error %q: want the error without the secret", r.Kind, r.ID, r.LastError)
		}
	}
}

// failingTelegram fails every reply with err.
type failingTelegram struct{ err error }

func (f *failingTelegram) SendReply(context.Context, int64, sdk.Reply, dispatch.OpenAttachment, []int64) (dispatch.SendResult, error) {
	return dispatch.SendResult{}, f.err
}

func (f *failingTelegram) EditReply(context.Context, int64, int64, sdk.Reply) error { return f.err }

// openerDesk serves reply attachments, or answers "unavailable" (as the
// plugin host does while the plugin restarts) until up is set.
type openerDesk struct {
	desk
	up    atomic.Bool
	tries atomic.Int64
}

func (o *openerDesk) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	o.tries.Add(1)
	if !o.up.Load() {
		return nil, sdk.FileInfo{}, sdk.RetryAfter(fmt.Errorf("%w: plugin desk is restarting", dispatch.ErrChannelUnavailable), time.Hour)
	}
	return io.NopCloser(strings.NewReader("file")), sdk.FileInfo{Name: "a.txt"}, nil
}

// openingTelegram fetches a reply's files through the channel, as the real
// sender does before anything is sent, and records what it sent.
type openingTelegram struct{ sent atomic.Int64 }

func (o *openingTelegram) SendReply(ctx context.Context, _ int64, r sdk.Reply, open dispatch.OpenAttachment, _ []int64) (dispatch.SendResult, error) {
	for _, a := range r.Attachments {
		rc, _, err := open(ctx, a)
		if err != nil {
			return dispatch.SendResult{}, fmt.Errorf("fetching the file from the desk: %w", err)
		}
		rc.Close()
	}
	return dispatch.SendResult{MessageIDs: []int64{o.sent.Add(1)}}, nil
}

func (o *openingTelegram) EditReply(context.Context, int64, int64, sdk.Reply) error { return nil }

// A reply whose file lives in a desk plugin that is down outlasts its
// attempts without being failed, and goes out once the plugin is back.
func TestReplyWaitsForItsFilesPlugin(t *testing.T) {
	s := openStore(t)
	_, err := s.CommitInbound(t.Context(), store.Inbound{UpdateID: 1, ChatID: 1})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := s.ConversationByChat(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ch := &openerDesk{}
	tg := &openingTelegram{}
	d := dispatch.New(dispatch.Config{Store: s, Channels: channels{"desk": ch}, Telegram: tg, Options: dispatch.Options{
		Concurrency: 2, MaxAttempts: 2, PollInterval: 5 * time.Millisecond,
		Backoff: dispatch.Backoff{Initial: 5 * time.Millisecond, Max: 10 * time.Millisecond},
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	_, err = s.CommitReplies(t.Context(), "desk", []sdk.Reply{{ConversationID: conv.ID, ExternalID: "r1",
		Attachments: []sdk.ReplyAttachment{{Ref: "f1", Name: "a.txt"}}}})
	if err != nil {
		t.Fatal(err)
	}
	d.Notify()
	testwait.For(t, "the reply is tried 10 times while its plugin is down", func() bool {
		if failed, _ := s.Queue(t.Context(), 10, store.StateFailed); len(failed) > 0 {
			t.Fatalf("the reply failed while its plugin was down: %+v", failed[0])
		}
		return ch.tries.Load() >= 10
	})
	ch.up.Store(true)
	waitDone(t, s)
	if tg.sent.Load() != 1 {
		t.Errorf("sent %d messages, want the reply once", tg.sent.Load())
	}
}
