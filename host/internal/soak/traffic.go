package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"golang.org/x/time/rate"
)

// traffic is the soak's steady load: customers writing to the bot and
// agents answering them through the desk, both at bounded rates.
type traffic struct {
	w      *world
	l      *ledger
	users  []int64 // Telegram user ids; the index is the user's number
	convMu sync.Mutex
	conv   map[int64]string // Telegram user id -> desk conversation id
	next   atomic.Int64     // host to try first for the next reply
}

func newTraffic(w *world, l *ledger, users int) *traffic {
	t := &traffic{w: w, l: l, conv: map[int64]string{}}
	for i := range users {
		u := w.tg.AddUser(telego.User{FirstName: fmt.Sprintf("Soak%d", i)})
		t.users = append(t.users, u.ID)
	}
	// An agent can answer a customer once the desk has their conversation.
	w.desk.OnDeliver(func(d webhookdesk.Delivery) {
		t.convMu.Lock()
		t.conv[d.Contact.TelegramUserID] = d.ConversationID
		t.convMu.Unlock()
	})
	return t
}

// customers writes "u<user>-m<n>" round the users at perSecond until ctx
// ends.
func (t *traffic) customers(ctx context.Context, perSecond float64) {
	lim := rate.NewLimiter(rate.Limit(perSecond), 1)
	seq := make([]int, len(t.users))
	for i := 0; ; i = (i + 1) % len(t.users) {
		if lim.Wait(ctx) != nil {
			return
		}
		text := fmt.Sprintf("u%d-m%d", i, seq[i])
		seq[i]++
		// Recorded before it is pushed, so no arrival precedes its origin.
		t.l.sent(inbound, text, time.Now())
		t.w.tg.SendText(t.users[i], text)
	}
}

// agents runs n agents answering "a<user>-r<n>" at perSecond in all until
// ctx ends. Agent k answers the users whose number is k modulo n, one reply
// at a time, as one desk connection keeps its order; a reply is retried
// until the host accepts it (2xx), like a real desk, for as long as
// patience allows after ctx ends.
func (t *traffic) agents(ctx, patience context.Context, n int, perSecond float64) {
	lim := rate.NewLimiter(rate.Limit(perSecond), 1)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.agent(ctx, patience, k, n, lim)
		}()
	}
	wg.Wait()
}

func (t *traffic) agent(ctx, patience context.Context, k, n int, lim *rate.Limiter) {
	seq := map[int]int{}
	i := k
	for {
		if lim.Wait(ctx) != nil {
			return
		}
		// The next of this agent's users who has a conversation yet.
		user := -1
		for tries := 0; tries < len(t.users); tries++ {
			cand := i
			i += n
			if i >= len(t.users) {
				i = k
			}
			if t.conversation(cand) != "" {
				user = cand
				break
			}
		}
		if user < 0 {
			continue
		}
		r := webhookdesk.Reply{
			ConversationID: t.conversation(user),
			ID:             fmt.Sprintf("r-%d-%d", user, seq[user]),
			Text:           fmt.Sprintf("a%d-r%d", user, seq[user]),
		}
		seq[user]++
		t.l.sent(outbound, r.Text, time.Now())
		if !t.post(patience, r) {
			t.l.refuse(r.Text)
			if patience.Err() != nil {
				return
			}
			// Not owed: the next reply to this user takes its number, so
			// the user's replies stay a gapless sequence.
			seq[user]--
		}
	}
}

func (t *traffic) conversation(user int) string {
	t.convMu.Lock()
	defer t.convMu.Unlock()
	return t.conv[t.users[user]]
}

// post sends r until a host answers 2xx, trying the replicas in turn (a
// killed one refuses connections until it is back). It reports false if
// patience ran out first.
func (t *traffic) post(patience context.Context, r webhookdesk.Reply) bool {
	for {
		h := t.w.hosts[int(t.next.Add(1))%len(t.w.hosts)]
		ctx, cancel := context.WithTimeout(patience, 10*time.Second)
		status, _, err := t.w.desk.SendReply(ctx, h.hookURL(), r)
		cancel()
		if err == nil && status >= 200 && status < 300 {
			return true
		}
		if err == nil && status != http.StatusServiceUnavailable && status < 500 && status != http.StatusTooManyRequests {
			// A 4xx other than 429 is the soak's own mistake: retrying
			// would not help, and the reply is reported as refused.
			return false
		}
		select {
		case <-patience.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// arrivals reads what reached the desk and Telegram, in arrival order.
func (t *traffic) arrivals() (in, out []arrival) {
	for _, d := range t.w.desk.Received() {
		in = append(in, arrival{Text: d.Message.Text, ID: d.Message.ID, Conversation: d.ConversationID, At: d.Received})
	}
	for _, s := range t.w.tg.Sent() {
		user, n, ok := parseText(s.Message.Text, "a", "-r")
		id := ""
		if ok {
			// The reply's id is its text's twin (see agent).
			id = fmt.Sprintf("r-%s-%d", user[1:], n)
		}
		out = append(out, arrival{Text: s.Message.Text, ID: id, Conversation: fmt.Sprint(s.ChatID), At: s.At})
	}
	return in, out
}

// settled reports whether every owed message has arrived in both
// directions, and how many are still missing.
func (t *traffic) settled() (bool, int) {
	in, out := t.arrivals()
	missing := 0
	for dir, got := range map[direction][]arrival{inbound: in, outbound: out} {
		seen := make(map[string]bool, len(got))
		for _, a := range got {
			seen[a.Text] = true
		}
		for text := range t.l.origins(dir) {
			if !seen[text] {
				missing++
			}
		}
	}
	return missing == 0, missing
}
