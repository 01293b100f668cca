package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mymmrac/telego"
)

// updateTTL is how long Telegram keeps an unconfirmed update (Bot API, getUpdates).
const updateTTL = 24 * time.Hour

// queued is an update waiting for confirmation, already encoded with its update_id.
type queued struct {
	id   int64
	raw  []byte
	kind string
	at   time.Time
}

// poll is a pending long-polling getUpdates; end receives the 409 that terminates it.
type poll struct {
	end chan *apiError
}

const (
	conflictOtherPoll  = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
	conflictWebhook    = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
	conflictSetWebhook = "Conflict: terminated by setWebhook request"
)

// PushUpdate queues one update for the bot and returns its update_id. u is either JSON (a
// json.RawMessage, []byte or string holding one object) or any value that encodes to one, such as a
// telego.Update; any update_id in it is replaced by the next one. The JSON is passed on as is, so
// malformed or unknown updates (a ChatMember status telego does not know, a new update type) reach
// the bot exactly as written. An update whose type is filtered out by the bot's allowed_updates is
// dropped, as Telegram does, and 0 is returned. A message in it (message, edited_message and their
// business_ kinds) is kept in its chat either way, so the bot can reply to it, react to it, delete
// it or mark it read.
func (s *Bot) PushUpdate(u any) (int64, error) {
	fields, kind, err := encodeUpdate(u)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushFieldsLocked(fields, kind), nil
}

// pushLocked is PushUpdate for a value the fake built itself; the caller holds s.mu.
func (s *Bot) pushLocked(u any) int64 {
	fields, kind, err := encodeUpdate(u)
	if err != nil {
		panic(err)
	}
	return s.pushFieldsLocked(fields, kind)
}

// encodeUpdate splits an update into its fields (update_id removed) and its kind.
func encodeUpdate(u any) (map[string]json.RawMessage, string, error) {
	var raw []byte
	switch v := u.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		b, err := json.Marshal(u)
		if err != nil {
			return nil, "", fmt.Errorf("telegramtest: encode update: %w", err)
		}
		raw = b
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, "", errors.New("telegramtest: an update must be a JSON object")
	}
	delete(fields, "update_id")
	kind := ""
	for k := range fields {
		if kind == "" || k < kind { // deterministic when a malformed update has several
			kind = k
		}
	}
	return fields, kind, nil
}

func (s *Bot) pushFieldsLocked(fields map[string]json.RawMessage, kind string) int64 {
	s.rememberLocked(kind, fields[kind])
	if !s.allowedLocked(kind) {
		return 0
	}
	id := s.state.nextUpdateID
	s.state.nextUpdateID++
	var buf bytes.Buffer
	buf.WriteString(`{"update_id":`)
	buf.WriteString(strconv.FormatInt(id, 10))
	for k, v := range fields {
		buf.WriteByte(',')
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	s.state.queue = append(s.state.queue, queued{id: id, raw: buf.Bytes(), kind: kind, at: s.opts.Now()})
	close(s.state.wake)
	s.state.wake = make(chan struct{})
	return id
}

// rememberLocked keeps a pushed message in its chat, so the bot can reply to it, react to it,
// delete it or mark it read as on Telegram, and a pushed callback query, so the bot can answer it.
func (s *Bot) rememberLocked(kind string, raw json.RawMessage) {
	if kind == "callback_query" { // pushed by hand rather than TapButton: still answerable
		var q struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &q) == nil && q.ID != "" && s.state.callbacks[q.ID] == nil {
			s.state.callbacks[q.ID] = &callback{}
		}
		return
	}
	switch kind {
	case "message", "edited_message", "business_message", "edited_business_message":
	default:
		return
	}
	var m telego.Message
	if json.Unmarshal(raw, &m) != nil || m.MessageID == 0 {
		return
	}
	var c *chat
	if m.BusinessConnectionID != "" {
		if bc := s.state.business[m.BusinessConnectionID]; bc != nil {
			c = bc.chats[m.Chat.ID]
		}
	} else {
		c = s.state.chats[m.Chat.ID]
	}
	if c == nil {
		return
	}
	c.messages[m.MessageID] = &m
	c.nextMsg = max(c.nextMsg, m.MessageID)
	if c.biz != nil {
		c.biz.nextMsg = max(c.biz.nextMsg, m.MessageID)
	}
}

// MustPushUpdate is PushUpdate for tests: it panics on an update that is not a JSON object.
func (s *Bot) MustPushUpdate(u any) int64 {
	id, err := s.PushUpdate(u)
	if err != nil {
		panic(err)
	}
	return id
}

func (s *Bot) allowedLocked(kind string) bool {
	if s.state.allowed != nil {
		return s.state.allowed[kind]
	}
	return !defaultExcluded[kind]
}

// Offset is the offset the bot last confirmed with getUpdates: every update below it is gone for
// good. 0 until the bot confirms anything.
func (s *Bot) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.confirmed
}

// Pending is the number of updates queued and not yet confirmed (or delivered by webhook).
func (s *Bot) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state.queue)
}

// confirmLocked applies getUpdates' offset (Bot API, getUpdates): positive confirms everything below it, negative
// -N drops all but the newest N.
func (s *Bot) confirmLocked(offset int64) {
	q := s.state.queue
	switch {
	case offset > 0:
		i := 0
		for i < len(q) && q[i].id < offset {
			i++
		}
		s.state.queue = q[i:]
		if offset > s.state.confirmed {
			s.state.confirmed = offset
		}
	case offset < 0:
		keep := int(-offset)
		if len(q) > keep {
			s.state.queue = q[len(q)-keep:]
			s.state.confirmed = s.state.queue[0].id
		}
	}
	// Let go of the confirmed prefix's backing array now and then.
	if cap(s.state.queue) > 1024 && len(s.state.queue) < cap(s.state.queue)/4 {
		s.state.queue = append([]queued(nil), s.state.queue...)
	}
}

// expireLocked drops updates older than 24 h by the fake clock.
func (s *Bot) expireLocked() {
	now := s.opts.Now()
	q := s.state.queue
	i := 0
	for i < len(q) && now.Sub(q[i].at) > updateTTL {
		i++
	}
	s.state.queue = q[i:]
}

// batchLocked encodes up to limit queued updates as a JSON array (never null).
func (s *Bot) batchLocked(limit int) json.RawMessage {
	s.expireLocked()
	q := s.state.queue
	if len(q) > limit {
		q = q[:limit]
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, u := range q {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(u.raw)
	}
	buf.WriteByte(']')
	return buf.Bytes()
}

func (s *Bot) getUpdates(ctx context.Context, req *request) (any, *apiError) {
	offset, e := req.Params.int("offset", 0)
	if e != nil {
		return nil, e
	}
	limit, e := req.Params.int("limit", 100)
	if e != nil {
		return nil, e
	}
	limit = min(max(limit, 1), 100) // the server clamps rather than rejects
	timeoutSec, e := req.Params.int("timeout", 0)
	if e != nil {
		return nil, e
	}
	timeout := min(time.Duration(max(timeoutSec, 0))*time.Second, s.opts.MaxPollTimeout)

	s.mu.Lock()
	if s.state.webhook != nil {
		s.mu.Unlock()
		return nil, &apiError{Code: http.StatusConflict, Description: conflictWebhook}
	}
	if raw := req.Params.rawJSON("allowed_updates"); raw != nil {
		var kinds []string
		if err := json.Unmarshal(raw, &kinds); err == nil {
			s.setAllowedLocked(kinds)
		}
	}
	// Confirmation happens on arrival, even if this request then waits or is aborted.
	s.confirmLocked(offset)
	s.endPollLocked(&apiError{Code: http.StatusConflict, Description: conflictOtherPoll})
	if len(s.state.queue) > 0 || timeout == 0 {
		b := s.batchLocked(int(limit))
		s.mu.Unlock()
		return b, nil
	}
	p := &poll{end: make(chan *apiError, 1)}
	s.state.poll = p
	s.mu.Unlock()

	defer func() {
		s.mu.Lock()
		if s.state.poll == p {
			s.state.poll = nil
		}
		s.mu.Unlock()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.state.queue) > 0 {
			b := s.batchLocked(int(limit))
			s.mu.Unlock()
			return b, nil
		}
		wake := s.state.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case e := <-p.end:
			return nil, e
		case <-timer.C:
			return json.RawMessage("[]"), nil
		case <-ctx.Done():
			return json.RawMessage("[]"), nil
		case <-s.closed:
			return json.RawMessage("[]"), nil
		}
	}
}

func (s *Bot) setAllowedLocked(kinds []string) {
	if len(kinds) == 0 {
		s.state.allowed = nil
		return
	}
	s.state.allowed = map[string]bool{}
	for _, k := range kinds {
		s.state.allowed[k] = true
	}
}

// endPollLocked terminates a pending long poll with e.
func (s *Bot) endPollLocked(e *apiError) {
	if s.state.poll != nil {
		s.state.poll.end <- e
		s.state.poll = nil
	}
}
