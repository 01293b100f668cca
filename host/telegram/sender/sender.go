package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// Options tune a Sender. Zero values take the defaults in brackets.
type Options struct {
	// PerChatInterval is the steady spacing of messages to one chat [1s].
	PerChatInterval time.Duration
	// PerChatBurst is how many messages one chat may get at once [3].
	PerChatBurst int
	// GlobalRate is the most messages per second to all chats together [30].
	GlobalRate float64
	// IdleEvict drops a chat's limiter after this long without use [10m].
	IdleEvict time.Duration
	// MaxAttempts bounds the tries of one request, 429s included [5].
	MaxAttempts int
	// BackoffBase is the wait before the first retry of a 5xx or network
	// error, doubling each time [500ms], up to BackoffMax [15s].
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxRetryWait is the longest retry_after waited inside a call [60s];
	// a longer one is returned as sdk.RetryAfter for the caller to schedule.
	MaxRetryWait time.Duration
	// MaxUploadSize is the largest file uploaded [50 MB, Telegram's limit].
	MaxUploadSize int64
	// MaxPhotoSize is the largest image sent as a photo [10 MB]; bigger
	// ones go as documents.
	MaxPhotoSize int64
	// TempDir holds uploads while they are sent [os.TempDir()].
	TempDir string
	// Observer is told about every call [none].
	Observer Observer
}

func (o *Options) defaults() {
	if o.PerChatInterval <= 0 {
		o.PerChatInterval = time.Second
	}
	if o.PerChatBurst <= 0 {
		o.PerChatBurst = 3
	}
	if o.GlobalRate <= 0 {
		o.GlobalRate = 30
	}
	if o.IdleEvict <= 0 {
		o.IdleEvict = 10 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 15 * time.Second
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = time.Minute
	}
	if o.MaxUploadSize <= 0 {
		o.MaxUploadSize = 50 * 1024 * 1024
	}
	if o.MaxPhotoSize <= 0 {
		o.MaxPhotoSize = 10 * 1024 * 1024
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
}

// Opener fetches the bytes of a file an agent attached (from the desk's
// plugin). The FileInfo's Size may be 0 when unknown.
type Opener func(ctx context.Context, a sdk.ReplyAttachment) (io.ReadCloser, sdk.FileInfo, error)

// Result is what reached the user.
type Result struct {
	// MessageIDs are the Telegram ids of the messages sent, in order.
	MessageIDs []int64
	// Failed lists the files that were not sent (the text still was), so
	// the caller can tell the desk.
	Failed []FailedAttachment
	// Progress has one entry per part handled (text message or file, in
	// sending order): the message id it became, or 0 for a file not sent.
	// An attempt that failed half way hands it to ResumeReply.
	Progress []int64
}

// FailedAttachment names a file that did not reach the user, and why, in
// words an agent understands.
type FailedAttachment struct {
	Name   string
	Reason string
}

// Sender sends messages to Telegram within its limits. It is safe for
// concurrent use; create one per bot and share it.
type Sender struct {
	bot    *telego.Bot
	opts   Options
	limits *limits
	obs    Observer
}

// New returns a Sender that calls Telegram through bot.
func New(bot *telego.Bot, opts Options) *Sender {
	opts.defaults()
	return &Sender{bot: bot, opts: opts, limits: newLimits(opts), obs: opts.Observer}
}

// SendText sends a host message (such as the welcome) as plain text, split
// into several messages when it is long.
func (s *Sender) SendText(ctx context.Context, chatID int64, text string) (Result, error) {
	ids, err := s.sendText(ctx, chatID, text, sdk.FormatPlain)
	return Result{MessageIDs: ids}, err
}

// SendReply sends an agent's reply: its text (split when over Telegram's
// 4,096 characters) and its files as uploads. When the text fits in a
// caption it rides on the first file; otherwise it goes first as its own
// message(s) and the files follow without caption.
//
// The text is sent even when a file fails. A failure before anything
// reached the user is returned as an error, so the whole reply can be
// retried without duplicates; once something was sent, a file that fails
// is listed in Result.Failed instead. A returned error carries the ids of
// what was sent before it, in the Result, and Result.Progress for
// ResumeReply.
func (s *Sender) SendReply(ctx context.Context, chatID int64, r sdk.Reply, open Opener) (Result, error) {
	return s.ResumeReply(ctx, chatID, r, open, nil)
}

// ResumeReply is SendReply after an attempt that failed half way: sent is
// that attempt's Result.Progress, and the parts it covers are not sent
// again (their ids are in the Result as if they were), so a long reply
// whose second message met a 429 goes on with the second message. A file
// the earlier attempt could not send is listed in Result.Failed.
func (s *Sender) ResumeReply(ctx context.Context, chatID int64, r sdk.Reply, open Opener, sent []int64) (Result, error) {
	res := &Result{}
	p := &progress{sent: sent, res: res}
	text, f := r.Text, r.Format
	if strings.TrimSpace(visible(text, f)) == "" {
		text = ""
	}
	if text == "" && len(r.Attachments) == 0 {
		return *res, sdk.Permanent(errors.New("the reply has neither text nor files"))
	}
	caption := text != "" && len(r.Attachments) > 0 && len(split(text, f, format.CaptionLimit)) == 1
	textSent := false
	if text != "" && !caption {
		if err := s.sendParts(ctx, chatID, text, f, p); err != nil {
			return *res, err
		}
		textSent = true
	}

	for _, a := range r.Attachments {
		c := ""
		if caption && !textSent {
			c = text
		}
		name := firstNonEmpty(a.Name, "file")
		if id, ok := p.replay(); ok {
			if id == 0 {
				res.Failed = append(res.Failed, FailedAttachment{Name: name, Reason: "it could not be sent in an earlier attempt"})
			} else if c != "" {
				textSent = true
			}
			continue
		}
		id, err := s.sendAttachment(ctx, chatID, a, open, c, f)
		if err != nil {
			var ns *notSent
			switch {
			case errors.Is(err, ErrBlocked), ctx.Err() != nil:
				return *res, err
			case errors.As(err, &ns):
			case len(res.MessageIDs) == 0:
				return *res, err // nothing sent yet: retry the whole reply later
			}
			res.Failed = append(res.Failed, FailedAttachment{Name: name, Reason: reason(err)})
			p.record(0)
			continue
		}
		p.record(id)
		if c != "" {
			textSent = true
		}
	}

	if text != "" && !textSent {
		if err := s.sendParts(ctx, chatID, text, f, p); err != nil {
			return *res, err
		}
	}
	return *res, nil
}

// progress walks the parts of a reply (text messages and files, in the
// order they are sent) against an earlier attempt's Result.Progress, and
// records each part handled in the Result.
type progress struct {
	sent []int64
	next int
	res  *Result
}

// replay reports the outcome the earlier attempt had for the next part
// (its message id, 0 if it sent nothing), recorded anew, or false when
// that attempt did not get this far.
func (p *progress) replay() (int64, bool) {
	if p.next >= len(p.sent) {
		return 0, false
	}
	id := p.sent[p.next]
	p.next++
	p.record(id)
	return id, true
}

// record notes the outcome of a part: the message it became, or 0.
func (p *progress) record(id int64) {
	p.res.Progress = append(p.res.Progress, id)
	if id != 0 {
		p.res.MessageIDs = append(p.res.MessageIDs, id)
	}
}

// sendParts sends text as sendText does, one progress part per message,
// passing over the parts an earlier attempt sent.
func (s *Sender) sendParts(ctx context.Context, chatID int64, text string, f sdk.TextFormat, p *progress) error {
	for _, part := range split(text, f, format.MessageLimit) {
		if _, ok := p.replay(); ok {
			continue
		}
		id, err := s.sendPart(ctx, chatID, part, f)
		if err != nil {
			return err
		}
		p.record(id)
	}
	return nil
}

// sendAttachment fetches and uploads one file.
func (s *Sender) sendAttachment(ctx context.Context, chatID int64, a sdk.ReplyAttachment, open Opener, caption string, f sdk.TextFormat) (int64, error) {
	u, err := s.prepare(ctx, a, open)
	if err != nil {
		return 0, err
	}
	defer u.close()
	msg, err := s.sendFile(ctx, chatID, u, caption, f)
	if err != nil {
		return 0, err
	}
	return int64(msg.MessageID), nil
}

// reason words an error for the agent.
func reason(err error) string {
	var ns *notSent
	if errors.As(err, &ns) {
		return ns.reason
	}
	if e, ok := apiError(err); ok {
		return "Telegram refused it: " + e.Description
	}
	return err.Error()
}

// EditText replaces the text of a message sent earlier (an agent's edit).
// An edit cannot grow into several messages, so a text over one message
// is refused with a permanent error; so is a message Telegram no longer
// lets the bot edit. An edit that changes nothing succeeds.
func (s *Sender) EditText(ctx context.Context, chatID, messageID int64, r sdk.Reply) error {
	parts := split(r.Text, r.Format, format.MessageLimit)
	switch {
	case len(parts) == 0:
		return sdk.Permanent(errors.New("the edit has no text"))
	case len(parts) > 1:
		return sdk.Permanent(fmt.Errorf("the edit is longer than one Telegram message (%d characters)", format.MessageLimit))
	}
	text, f := parts[0], r.Format
	edit := func(text string, f sdk.TextFormat) error {
		p := &telego.EditMessageTextParams{
			ChatID: telego.ChatID{ID: chatID}, MessageID: int(messageID), Text: text, ParseMode: parseMode(f, text),
			BusinessConnectionID: businessConnection(ctx),
		}
		_, err := s.call(ctx, chatID, "editMessageText", func(ctx context.Context) (*telego.Message, error) {
			return s.bot.EditMessageText(ctx, p)
		})
		return err
	}
	err := edit(text, f)
	if err != nil && f == sdk.FormatTelegramHTML && isParseError(err) {
		err = edit(plain(text), sdk.FormatPlain)
	}
	if isNotModified(err) {
		return nil
	}
	return err
}

// sendText sends text as one message per part. A part whose markup
// Telegram cannot parse is sent once more as plain text.
func (s *Sender) sendText(ctx context.Context, chatID int64, text string, f sdk.TextFormat) ([]int64, error) {
	var ids []int64
	for _, part := range split(text, f, format.MessageLimit) {
		id, err := s.sendPart(ctx, chatID, part, f)
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// sendPart sends one message of a text; markup Telegram cannot parse is
// sent once more as plain text.
func (s *Sender) sendPart(ctx context.Context, chatID int64, part string, f sdk.TextFormat) (int64, error) {
	msg, err := s.sendMessage(ctx, chatID, part, f)
	if err != nil && f == sdk.FormatTelegramHTML && isParseError(err) {
		msg, err = s.sendMessage(ctx, chatID, plain(part), sdk.FormatPlain)
	}
	if err != nil {
		return 0, err
	}
	return int64(msg.MessageID), nil
}

func (s *Sender) sendMessage(ctx context.Context, chatID int64, text string, f sdk.TextFormat) (*telego.Message, error) {
	p := &telego.SendMessageParams{ChatID: telego.ChatID{ID: chatID}, Text: text, ParseMode: parseMode(f, text),
		BusinessConnectionID: businessConnection(ctx)}
	return s.call(ctx, chatID, "sendMessage", func(ctx context.Context) (*telego.Message, error) {
		return s.bot.SendMessage(ctx, p)
	})
}

// parseMode is HTML for Telegram HTML and none for plain text, so that
// "<", "&" and "*" in plain text arrive as typed.
func parseMode(f sdk.TextFormat, text string) string {
	if f == sdk.FormatTelegramHTML && text != "" {
		return telego.ModeHTML
	}
	return ""
}

// visible is the text a user would see.
func visible(text string, f sdk.TextFormat) string {
	if f == sdk.FormatTelegramHTML {
		return plain(text)
	}
	return text
}
