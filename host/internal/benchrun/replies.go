package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// The sender's limits (host/telegram/sender defaults, which the config does
// not change): Telegram's published 1 message/s per chat and 30/s per bot.
const (
	perChatRate  = 1.0
	perChatBurst = 3
	globalRate   = 30.0
)

// replyShape is one reply-path scenario.
type replyShape struct {
	conversations, replies int
}

// limit is the sustained rate the sender must hold this shape to.
func (s replyShape) limit() float64 {
	return min(float64(s.conversations)*perChatRate, globalRate)
}

// burst is how many sends the limiters let out at once.
func (s replyShape) burst() int {
	return min(s.conversations*perChatBurst, int(globalRate))
}

// replyShapes: ten busy chats are held by the per-chat limit; fifty chats
// with a burst's worth each are held by the global one.
var replyShapes = []replyShape{{conversations: 10, replies: 100}, {conversations: 50, replies: 150}}

// replyResult is one row of the desk → user table.
type replyResult struct {
	Shape replyShape
	// Overall is (n−1) / (last send − first send), bursts included.
	Overall float64
	// Sustained is the rate once the limiter's bursts are spent:
	// (n − burst) / (last send − first send), burst being what a token
	// bucket lets out at once.
	Sustained float64
	// MaxPerSecond is the most sends in any one-second window.
	MaxPerSecond int
	// Served429 is how many 429s the fake Telegram answered.
	Served429 int
}

// runReplies opens the conversations, then has the desk answer each of them
// through the host's hook, and times what reaches fake Telegram.
func runReplies(ctx context.Context, wc worldConfig, shape replyShape) (res replyResult, err error) {
	res.Shape = shape
	w, err := startWorld(ctx, wc)
	if err != nil {
		return res, err
	}
	defer func() {
		if stopErr := w.stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("host: %w", stopErr)
		}
	}()
	for i := range shape.conversations {
		u := w.tg.AddUser(telego.User{ID: int64(800000 + i), FirstName: "Reply"})
		w.tg.SendText(u.ID, "hello")
	}
	if !w.desk.WaitCount(shape.conversations, 60*time.Second) {
		return res, fmt.Errorf("conversations did not reach the desk; log:\n%s", w.logs.tail(4000))
	}
	var convs []string
	for _, d := range w.desk.Received() {
		convs = append(convs, d.ConversationID)
	}
	for i := range shape.replies {
		status, body, err := w.desk.SendReply(ctx, w.hookURL(), webhookdesk.Reply{
			ConversationID: convs[i%len(convs)], ID: "r" + strconv.Itoa(i), Text: "answer " + strconv.Itoa(i),
		})
		if err != nil {
			return res, err
		}
		if status != http.StatusOK {
			return res, fmt.Errorf("reply %d: host answered %d: %s", i, status, body)
		}
	}
	timeout := 30*time.Second + time.Duration(float64(shape.replies)/shape.limit()*float64(time.Second))
	sent, err := w.tg.WaitSent(shape.replies, timeout)
	if err != nil {
		return res, err
	}
	times := make([]time.Time, len(sent))
	for i, s := range sent {
		times[i] = s.At
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	res.Overall = rate(times)
	if span := times[len(times)-1].Sub(times[0]).Seconds(); span > 0 {
		res.Sustained = float64(len(times)-shape.burst()) / span
	}
	res.MaxPerSecond = maxInWindow(times, time.Second)
	res.Served429 = w.tg.Served429()
	return res, nil
}

// rate is events per second between the first and the last of times.
func rate(times []time.Time) float64 {
	if len(times) < 2 {
		return 0
	}
	return float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
}
