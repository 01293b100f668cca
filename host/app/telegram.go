package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/parley-dev/parley/host/avatar"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/dispatch"
	"github.com/parley-dev/parley/host/httpserver"
	"github.com/parley-dev/parley/host/inbound"
	"github.com/parley-dev/parley/host/logging"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/telegram/buttons"
	"github.com/parley-dev/parley/host/telegram/files"
	"github.com/parley-dev/parley/host/telegram/intake"
	"github.com/parley-dev/parley/host/telegram/normalize"
	"github.com/parley-dev/parley/host/telegram/reactions"
	"github.com/parley-dev/parley/host/telegram/sender"
	"github.com/parley-dev/parley/host/typing"
	"github.com/parley-dev/parley/sdk"
)

// telegramClient is the host's one door to the Bot API: the sender for
// replies, file access for links and uploads, getMe, and the poller.
type telegramClient struct {
	cfg    config.Telegram
	bot    *telego.Bot
	sender *sender.Sender
	files  *files.Client
	log    hclog.Logger
	// buttons signs the callback_data of the host's inline buttons; set
	// once the store's key is read.
	buttons *buttons.Signer
	// typing keeps "typing…" up while agents type; a reply sent ends it.
	typing *typing.Keeper
}

// newHTTPClient is the client every bot's Telegram calls share: net/http
// rather than telego's default fasthttp client, since only net/http aborts
// a call when its context is cancelled, which shutdown relies on; one
// transport for all bots keeps an idle bot's cost to its own state.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
	}}
}

func newTelegramClient(cfg config.Telegram, httpClient *http.Client, log hclog.Logger, obs sender.Observer) (*telegramClient, error) {
	bot, err := telego.NewBot(cfg.Token, telego.WithAPIServer(cfg.APIURL),
		telego.WithHTTPClient(httpClient), telego.WithDiscardLogger())
	if err != nil {
		// telego's error names the token's shape problem, never the token.
		return nil, fmt.Errorf("telegram: %w", err)
	}
	t := &telegramClient{
		cfg:    cfg,
		bot:    bot,
		sender: sender.New(bot, sender.Options{Observer: obs}),
		files:  &files.Client{APIURL: cfg.APIURL, Token: cfg.Token, HTTPClient: httpClient},
		log:    log,
	}
	t.typing = typing.New(t.sender.Typing, log.Named("typing"))
	return t, nil
}

// getMe asks Telegram who the bot is.
func (t *telegramClient) getMe(ctx context.Context) (*telego.User, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	me, err := t.bot.GetMe(ctx)
	if err != nil {
		var apiErr *ta.Error
		if errors.As(err, &apiErr) && apiErr.ErrorCode == http.StatusUnauthorized {
			return nil, errTokenRejected
		}
		return nil, fmt.Errorf("telegram getMe: %s", redactToken(err.Error(), t.cfg.Token))
	}
	return me, nil
}

// errTokenRejected is the bot's failure (shown on the status page and
// retried slowly): no quick retry fixes a revoked or mistyped token.
var errTokenRejected = errors.New("Telegram rejected the bot token (401 Unauthorized): check the bot's token, or create a new token with @BotFather")

// waitForTelegram asks getMe until Telegram answers, so a Telegram outage
// at start delays intake instead of stopping the host (desk replies are
// still stored and the outbox still drains meanwhile). It returns nil, nil
// when ctx ends first.
func (t *telegramClient) waitForTelegram(ctx context.Context) (*telego.User, error) {
	wait := time.Second
	for {
		me, err := t.getMe(ctx)
		if err == nil || errors.Is(err, errTokenRejected) {
			return me, err
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		t.log.Warn("Telegram is not reachable; retrying", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// allowedUpdates are the update types the host handles: messages, their
// edits, taps on its inline buttons (ratings), reactions, and Telegram
// Business (connections, the account's chats, their edits and deletes).
// Telegram sends message_reaction only to bots that ask for it.
var allowedUpdates = []string{
	"message", "edited_message", "callback_query", "message_reaction",
	"business_connection", "business_message", "edited_business_message", "deleted_business_messages",
}

// fetchBusiness implements inbound.Handler.FetchBusiness
// (getBusinessConnection).
func (t *telegramClient) fetchBusiness(ctx context.Context, id string) (normalize.BusinessConnection, error) {
	c, err := t.bot.GetBusinessConnection(ctx, &telego.GetBusinessConnectionParams{BusinessConnectionID: id})
	if err != nil {
		return normalize.BusinessConnection{}, errors.New(redactToken(err.Error(), t.cfg.Token))
	}
	out := normalize.BusinessConnection{BusinessConnection: *c}
	if c.Rights != nil {
		out.CanReply = c.Rights.CanReply
	}
	return out, nil
}

// poll runs long polling until ctx ends.
func (t *telegramClient) poll(ctx context.Context, handler func(context.Context, []intake.Update) error,
	offset func(context.Context) (int64, error), log hclog.Logger) error {
	p := &intake.Poller{
		APIURL:         t.cfg.APIURL,
		Token:          t.cfg.Token,
		Timeout:        t.cfg.PollTimeout.Duration,
		DeleteWebhook:  true,
		AllowedUpdates: allowedUpdates,
		Offset:         offset,
		Handler:        handler,
		Logger:         logging.Slog(log),
	}
	err := p.Run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// SendReply implements dispatch.Telegram. A reply ends the chat's
// "typing…": Telegram hides it when the message arrives, and it must not
// come back.
func (t *telegramClient) SendReply(ctx context.Context, chatID int64, r sdk.Reply, open dispatch.OpenAttachment, sent []int64) (dispatch.SendResult, error) {
	t.typing.Stop(chatID)
	res, err := t.sender.ResumeReply(ctx, chatID, r, sender.Opener(open), sent)
	out := dispatch.SendResult{MessageIDs: res.MessageIDs, Progress: res.Progress}
	for _, f := range res.Failed {
		out.Failed = append(out.Failed, dispatch.FailedAttachment{Name: f.Name, Reason: f.Reason})
	}
	return out, mapSendErr(err)
}

// AskRating implements dispatch.RatingAsker: the question with five
// buttons, 1 to 5 in reading order, each signed.
func (t *telegramClient) AskRating(ctx context.Context, chatID int64, ratingID, question string) (int64, error) {
	row := make([]sender.Button, 0, store.RatingScale)
	for score := 1; score <= store.RatingScale; score++ {
		data, err := t.buttons.Sign(buttons.Button{Kind: inbound.RatingButton, ID: ratingID, Value: score})
		if err != nil {
			return 0, sdk.Permanent(err)
		}
		row = append(row, sender.Button{Text: strconv.Itoa(score), Data: data})
	}
	id, err := t.sender.SendKeyboard(ctx, chatID, question, row)
	return id, mapSendErr(err)
}

// AskMenu implements dispatch.MenuAsker: the question with one button per
// option of the menu, one option a row, each signed with the option's
// index. Without a menu (it was removed from the configuration since it
// was asked) the question goes as plain text; the timeout routes it.
func (t *telegramClient) AskMenu(ctx context.Context, chatID int64, menuID, question string) (int64, error) {
	m := t.cfg.Menu
	if m == nil || len(m.Options) == 0 {
		res, err := t.sender.ResumeReply(ctx, chatID, sdk.Reply{Text: question, Format: sdk.FormatPlain}, nil, nil)
		if err != nil || len(res.MessageIDs) == 0 {
			return 0, mapSendErr(err)
		}
		return res.MessageIDs[0], nil
	}
	rows := make([][]sender.Button, 0, len(m.Options))
	for i, o := range m.Options {
		data, err := t.buttons.Sign(buttons.Button{Kind: inbound.MenuButton, ID: menuID, Value: i})
		if err != nil {
			return 0, sdk.Permanent(err)
		}
		rows = append(rows, []sender.Button{{Text: o.Label, Data: data}})
	}
	id, err := t.sender.SendKeyboardRows(ctx, chatID, question, rows)
	return id, mapSendErr(err)
}

// EditReply implements dispatch.Telegram.
func (t *telegramClient) EditReply(ctx context.Context, chatID, messageID int64, r sdk.Reply) error {
	return mapSendErr(t.sender.EditText(ctx, chatID, messageID, r))
}

// errNotAReaction refuses an emoji outside Telegram's reaction set
// without asking Telegram.
var errNotAReaction = errors.New("REACTION_INVALID: not an emoji Telegram lets bots react with")

// SetReaction implements dispatch.TelegramOps: an emoji outside
// Telegram's reaction set is refused here (sdk.Permanent), as Telegram
// would refuse it.
func (t *telegramClient) SetReaction(ctx context.Context, chatID, messageID int64, emoji string) error {
	if emoji != "" {
		e, ok := reactions.Normalize(emoji)
		if !ok {
			t.log.Debug("a reaction Telegram does not allow; not sent", "emoji", emoji)
			return sdk.Permanent(errNotAReaction)
		}
		emoji = e
	}
	err := t.sender.SetReaction(ctx, chatID, messageID, emoji)
	if sender.IsReactionInvalid(err) {
		t.log.Debug("Telegram refused a reaction", "emoji", emoji, "error", err)
	}
	return mapSendErr(err)
}

// DeleteMessages implements dispatch.TelegramOps: each message in turn
// (one reply may have become several).
func (t *telegramClient) DeleteMessages(ctx context.Context, chatID int64, messageIDs []int64) error {
	for _, id := range messageIDs {
		if err := t.sender.DeleteMessage(ctx, chatID, id); err != nil {
			return mapSendErr(err)
		}
	}
	return nil
}

// profilePhoto implements avatar.Lookup.
func (t *telegramClient) profilePhoto(ctx context.Context, userID int64) (string, error) {
	return t.sender.ProfilePhoto(ctx, userID, avatar.MinSize)
}

func mapSendErr(err error) error {
	if err != nil && errors.Is(err, sender.ErrBlocked) {
		return fmt.Errorf("%w: %v", dispatch.ErrUserBlocked, err)
	}
	return err
}

// Open implements httpserver.FileOpener.
func (t *telegramClient) Open(ctx context.Context, fileID string) (io.ReadCloser, int64, error) {
	rc, info, err := t.files.Open(ctx, fileID)
	if err != nil {
		if errors.Is(err, files.ErrTooLarge) {
			return nil, 0, fmt.Errorf("%w: %v", httpserver.ErrFileTooLarge, err)
		}
		return nil, 0, err
	}
	return rc, info.Size, nil
}

// OpenFile implements FileSource (Host.OpenFile for plugins).
func (t *telegramClient) OpenFile(ctx context.Context, fileID string) (io.ReadCloser, sdk.FileInfo, error) {
	rc, info, err := t.files.Open(ctx, fileID)
	if err != nil {
		if errors.Is(err, files.ErrTooLarge) {
			return nil, sdk.FileInfo{}, sdk.Permanent(err)
		}
		return nil, sdk.FileInfo{}, err
	}
	return rc, sdk.FileInfo{Name: info.Name, MIMEType: info.MIMEType, Size: info.Size}, nil
}

// redactToken removes the bot token from a message (telego errors may
// quote request URLs, which contain it).
func redactToken(msg, token string) string {
	if token == "" {
		return msg
	}
	return strings.ReplaceAll(msg, token, "[redacted]")
}

// ThroughBusiness implements dispatch.BusinessTelegram.
func (t *telegramClient) ThroughBusiness(ctx context.Context, id string) context.Context {
	return sender.WithBusinessConnection(ctx, id)
}

// ReadBusinessMessage implements dispatch.BusinessTelegram.
func (t *telegramClient) ReadBusinessMessage(ctx context.Context, connectionID string, chatID, messageID int64) error {
	return t.sender.ReadBusinessMessage(ctx, connectionID, chatID, messageID)
}
