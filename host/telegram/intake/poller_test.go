package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/internal/testwait"
)

// logBuffer collects JSON log lines safely from the poller's goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// records returns the log records with msg containing sub.
func (l *logBuffer) records(sub string) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(l.String()) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && strings.Contains(rec["msg"].(string), sub) {
			out = append(out, rec)
		}
	}
	return out
}

// retryIn reads a log record's retry_in (slog's JSON handler writes durations in nanoseconds).
func retryIn(rec map[string]any) time.Duration {
	ns, _ := rec["retry_in"].(float64)
	return time.Duration(ns)
}

func fake(t *testing.T) *telegramtest.Server {
	t.Helper()
	s := telegramtest.New(telegramtest.Options{MaxPollTimeout: 50 * time.Millisecond})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// poller returns a poller on s with short backoffs and the given handler.
func poller(s *telegramtest.Server, logs *logBuffer, offset int64, h func(context.Context, []intake.Update) error) *intake.Poller {
	return &intake.Poller{
		APIURL: s.URL(), Token: s.Token(), Timeout: time.Second,
		Offset:     func(context.Context) (int64, error) { return offset, nil },
		Handler:    h,
		Logger:     slog.New(slog.NewJSONHandler(logs, nil)),
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, ConflictBackoff: 20 * time.Millisecond,
	}
}

// run starts p and returns a stop func that cancels it and returns Run's result.
func run(t *testing.T, p *intake.Poller) (stop func() error, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan error, 1)
	go func() { ch <- p.Run(ctx) }()
	return func() error { cancel(); return <-ch }, ch
}

func receive(t *testing.T, ch <-chan []intake.Update) []intake.Update {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch reached the handler")
		return nil
	}
}

func TestAtLeastOnce(t *testing.T) {
	s := fake(t)
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "one")
	s.SendText(u.ID, "two")
	s.SendText(u.ID, "three")
	ids := func(b []intake.Update) []int64 {
		var out []int64
		for _, u := range b {
			out = append(out, u.ID)
		}
		return out
	}

	seen := make(chan []intake.Update, 10)
	var calls int
	var confirmedDuringHandle []int64
	p := poller(s, &logBuffer{}, 0, func(_ context.Context, b []intake.Update) error {
		calls++
		confirmedDuringHandle = append(confirmedDuringHandle, s.Offset())
		seen <- b
		if calls == 1 {
			return errors.New("store is down")
		}
		return nil
	})
	stop, _ := run(t, p)
	a, b := receive(t, seen), receive(t, seen)
	if len(a) != 3 || !slices.Equal(ids(a), ids(b)) {
		t.Fatalf("after a failed handler the batch changed: %v then %v", ids(a), ids(b))
	}
	if a[0].Update.Message.Text != "one" || a[2].Update.Message.Text != "three" {
		t.Fatalf("batch = %+v", a)
	}
	// The next poll confirms the batch, and only then.
	want := a[2].ID + 1
	testwait.For(t, "the next poll confirms the batch", func() bool { return s.Offset() == want })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if s.Offset() != want || s.Pending() != 0 {
		t.Fatalf("confirmed offset %d pending %d, want %d and 0", s.Offset(), s.Pending(), want)
	}
	for _, off := range confirmedDuringHandle {
		if off > a[0].ID {
			t.Fatalf("Telegram confirmed offset %d while update %d was still being handled", off, a[0].ID)
		}
	}
}

func TestStartsFromStoredOffset(t *testing.T) {
	s := fake(t)
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "already stored")
	id2 := s.MustPushUpdate(telego.Update{Message: ptr(s.NewMessage(u.ID, u.ID))})
	seen := make(chan []intake.Update, 10)
	p := poller(s, &logBuffer{}, id2, func(_ context.Context, b []intake.Update) error { seen <- b; return nil })
	stop, _ := run(t, p)
	defer stop()
	if b := receive(t, seen); len(b) != 1 || b[0].ID != id2 {
		t.Fatalf("handler got %+v, want only update %d", b, id2)
	}
}

func ptr[T any](v T) *T { return &v }

func TestUndecodableUpdateDoesNotStall(t *testing.T) {
	s := fake(t)
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "before")
	poison := s.MustPushUpdate(`{"my_chat_member":{"chat":{"id":5551234,"type":"private"},"from":{"id":5551234,"is_bot":false,"first_name":"A"},"date":1767225600,
		"old_chat_member":{"status":"member","user":{"id":1,"is_bot":true,"first_name":"B"}},
		"new_chat_member":{"status":"weird","user":{"id":1,"is_bot":true,"first_name":"B"}}}}`)
	s.SendText(u.ID, "after")

	seen := make(chan []intake.Update, 10)
	logs := &logBuffer{}
	p := poller(s, logs, 0, func(_ context.Context, b []intake.Update) error { seen <- b; return nil })
	stop, _ := run(t, p)
	b := receive(t, seen)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if len(b) != 3 {
		t.Fatalf("batch has %d updates, want 3", len(b))
	}
	if b[0].Update == nil || b[0].Update.Message.Text != "before" || b[2].Update == nil || b[2].Update.Message.Text != "after" {
		t.Fatalf("good updates around the poison one were not decoded: %+v", b)
	}
	mid := b[1]
	if mid.ID != poison || mid.Update != nil || mid.DecodeErr == nil || !strings.Contains(string(mid.Raw), `"weird"`) {
		t.Fatalf("poison update = %+v", mid)
	}
	if len(logs.records("cannot decode")) == 0 {
		t.Fatal("undecodable update was not logged")
	}
}

func TestConflictBacksOffWithClearError(t *testing.T) {
	s := fake(t)
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "hi")
	s.Inject(telegramtest.Fault{Method: "getUpdates", Status: 409, Times: 2})
	seen := make(chan []intake.Update, 10)
	logs := &logBuffer{}
	p := poller(s, logs, 0, func(_ context.Context, b []intake.Update) error { seen <- b; return nil })
	p.ConflictBackoff = 100 * time.Millisecond
	p.MaxBackoff = time.Second
	stop, _ := run(t, p)
	receive(t, seen)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	recs := logs.records("409 Conflict")
	if len(recs) != 2 {
		t.Fatalf("want 2 conflict logs, got %d: %s", len(recs), logs)
	}
	if !strings.Contains(recs[0]["msg"].(string), "mode = polling to delete the webhook") {
		t.Fatalf("conflict message does not say what to do: %v", recs[0]["msg"])
	}
	for _, r := range recs {
		if wait := retryIn(r); wait < 90*time.Millisecond {
			t.Fatalf("409 retried after %s, want at least the conflict backoff", wait)
		}
	}
}

func TestConflictIsNotATightLoop(t *testing.T) {
	s := fake(t)
	s.Inject(telegramtest.Fault{Method: "getUpdates", Status: 409, Times: -1})
	logs := &logBuffer{}
	p := poller(s, logs, 0, func(context.Context, []intake.Update) error { return nil })
	p.ConflictBackoff, p.MaxBackoff = 0, 0 // defaults: seconds
	stop, _ := run(t, p)
	// The conflict log is written when the poller decides how long to wait,
	// so it is a sentinel: once it is there, the retry is scheduled. Without
	// an injected clock, the logged wait is what the test can check exactly.
	testwait.For(t, "the poller logs the 409", func() bool { return len(logs.records("409 Conflict")) > 0 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	recs := logs.records("409 Conflict")
	if wait := retryIn(recs[0]); wait < time.Second {
		t.Fatalf("permanent 409 retried after %s, want the default backoff of seconds", wait)
	}
	if n := s.Calls("getUpdates"); n != 1 || len(recs) != 1 {
		t.Fatalf("%d getUpdates calls and %d conflict logs under a permanent 409 before the backoff ended, want 1", n, len(recs))
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	s := fake(t)
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "hi")
	s.TooManyRequests("getUpdates", 1, 1)
	seen := make(chan []intake.Update, 10)
	logs := &logBuffer{}
	p := poller(s, logs, 0, func(_ context.Context, b []intake.Update) error { seen <- b; return nil })
	stop, _ := run(t, p)
	receive(t, seen)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	recs := logs.records("rate limited")
	if len(recs) != 1 || retryIn(recs[0]) != time.Second {
		t.Fatalf("429 handling logs = %s", logs)
	}
}

func TestUnauthorizedIsFatalAndTokenNeverLogged(t *testing.T) {
	s := fake(t)
	s.RevokeToken()
	logs := &logBuffer{}
	p := poller(s, logs, 0, func(context.Context, []intake.Update) error { return nil })
	_, done := run(t, p)
	select {
	case err := <-done:
		if !errors.Is(err, intake.ErrUnauthorized) || strings.Contains(err.Error(), s.Token()) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop on 401")
	}
	if strings.Contains(logs.String(), s.Token()) {
		t.Fatal("token in logs")
	}
}

func TestNetworkErrorsBackOffWithoutToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now: connection refused
	logs := &logBuffer{}
	token := telegramtest.DefaultToken
	p := &intake.Poller{APIURL: "http://" + addr, Token: token, Timeout: time.Second,
		Offset:  func(context.Context) (int64, error) { return 0, nil },
		Handler: func(context.Context, []intake.Update) error { return nil },
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)), MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond}
	stop, _ := run(t, p)
	// Four failures take the backoff 20, 40, 80 (the cap), 80 ms: enough to
	// see it grow and stop growing, however slow the machine.
	testwait.For(t, "four failed polls are logged", func() bool { return len(logs.records("getUpdates failed")) >= 4 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	recs := logs.records("getUpdates failed")
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "AAAAAAAAAAAAAAAAAAAA") {
		t.Fatalf("token in logs: %s", logs)
	}
	var last time.Duration
	for _, r := range recs {
		d := retryIn(r)
		if d > 90*time.Millisecond {
			t.Fatalf("backoff %s above the cap", d)
		}
		last = d
	}
	if last < 40*time.Millisecond {
		t.Fatalf("backoff did not grow: last wait %s", last)
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	s := telegramtest.New(telegramtest.Options{}) // long polls really wait here
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := poller(s, &logBuffer{}, 0, func(context.Context, []intake.Update) error { return nil })
	p.Timeout = 50 * time.Second
	stop, _ := run(t, p)
	testwait.For(t, "the first long poll starts", func() bool { return s.Calls("getUpdates") > 0 })
	res := make(chan error, 1)
	go func() { res <- stop() }()
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept polling after cancellation")
	}
}

func TestFailingHandlerStopsOnCancel(t *testing.T) {
	s := fake(t)
	u := s.AddUser(telego.User{})
	s.SendText(u.ID, "hi")
	calls := make(chan struct{}, 100)
	p := poller(s, &logBuffer{}, 0, func(context.Context, []intake.Update) error {
		calls <- struct{}{}
		return errors.New("store down")
	})
	stop, _ := run(t, p)
	<-calls
	<-calls
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if s.Offset() != 0 {
		t.Fatalf("an unhandled update was confirmed: offset %d", s.Offset())
	}
}
