package telegramgroupchannel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// runner is the getUpdates loop of one configuration.
type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *runner) stop() {
	r.cancel()
	<-r.done
}

// pollTimeout is getUpdates' long-poll wait, well inside the HTTP
// client's 60 s bound.
const pollTimeout = 25

// restartPoller stops the previous loop and, when updates are polled and
// the host can take replies, starts one for st. It outlives Configure, so
// its context keeps ctx's values but not its cancellation.
func (c *Channel) restartPoller(ctx context.Context, st *state) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.poller != nil {
		c.poller.stop()
		c.poller = nil
	}
	if st.cfg.Webhook || st.host == nil {
		return
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &runner{cancel: cancel, done: make(chan struct{})}
	c.poller = r
	go func() {
		defer close(r.done)
		st.poll(runCtx)
	}()
}

// poll reads the staff bot's updates until ctx ends. An update is
// confirmed (the next offset) only once the host stored its replies and
// actions, so a plugin killed mid-way gets it again from Telegram and the
// host's dedup on external ids keeps it from reaching anyone twice.
func (st *state) poll(ctx context.Context) {
	offset, backoff := 0, time.Second
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		ups, err := st.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: offset, Timeout: pollTimeout, AllowedUpdates: allowedUpdates})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := backoff
			if e, ok := apiError(err); ok {
				switch {
				case e.ErrorCode == http.StatusTooManyRequests:
					d = retryAfter(e)
				case e.ErrorCode == http.StatusConflict && is409Webhook(e.Description):
					st.log.Warn("the staff bot had a webhook; removing it to poll getUpdates")
					_ = st.bot.DeleteWebhook(ctx, &telego.DeleteWebhookParams{})
				case e.ErrorCode == http.StatusConflict:
					st.log.Warn("another process polls the staff bot's updates: give each Parley its own staff bot")
				}
			}
			st.log.Warn("getUpdates failed; retrying", "error", scrub(err, st.cfg.BotToken), "in", d)
			if !wait(d) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		for _, u := range ups {
			if err := st.hand(ctx, st.outcomeOf(u)); err != nil {
				if ctx.Err() == nil {
					st.log.Error("the host did not take an update; asking Telegram for it again", "update_id", u.UpdateID, "error", err)
					wait(time.Second)
				}
				break
			}
			offset = u.UpdateID + 1
		}
	}
}

func is409Webhook(desc string) bool { return strings.Contains(desc, "webhook") }

// hand gives the host an update's replies and actions. One the host
// refuses for good (a topic it does not know) is logged and dropped: asking
// again would not change the answer.
func (st *state) hand(ctx context.Context, out outcome) error {
	for _, r := range out.replies {
		if _, err := st.host.PostReply(ctx, r); err != nil {
			if sdk.IsPermanent(err) {
				st.log.Warn("the host refused a reply", "message_id", r.ExternalID, "error", err)
				continue
			}
			return err
		}
	}
	for _, a := range out.actions {
		if _, err := st.host.PostAction(ctx, a); err != nil {
			if sdk.IsPermanent(err) {
				st.log.Warn("the host refused an action", "action", string(a.Kind), "id", a.ExternalID, "error", err)
				continue
			}
			return err
		}
	}
	return nil
}

// WebhookSecret is the secret_token the channel gives setWebhook for a
// token: derived from it, so every replica and restart agrees on it
// without a key of its own.
func WebhookSecret(token string) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("parley telegramgroup webhook"))
	return hex.EncodeToString(mac.Sum(nil))
}

// HandleWebhook implements [sdk.Channel]: Telegram's POST of one update,
// checked by its X-Telegram-Bot-Api-Secret-Token. The host stores the
// replies and actions before answering, and Telegram sends the update
// again when the answer is not 2xx.
func (c *Channel) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	st, err := c.state.Get()
	if errors.Is(err, sdk.ErrNotConfigured) {
		return sdk.WebhookResponse{Status: http.StatusServiceUnavailable}, nil
	}
	if err != nil {
		return sdk.WebhookResponse{}, err
	}
	got := req.HeaderValue("X-Telegram-Bot-Api-Secret-Token")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.secret)) != 1 {
		return sdk.WebhookResponse{Status: http.StatusUnauthorized}, nil
	}
	if req.Method != http.MethodPost {
		return sdk.WebhookResponse{Status: http.StatusMethodNotAllowed}, nil
	}
	var u telego.Update
	if err := json.Unmarshal(req.Body, &u); err != nil {
		return sdk.WebhookResponse{Status: http.StatusBadRequest}, nil
	}
	out := st.outcomeOf(u)
	return sdk.WebhookResponse{Status: http.StatusOK, Replies: out.replies, Actions: out.actions}, nil
}
