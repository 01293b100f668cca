package telegramgroupchannel

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// Name is the plugin's name in Describe.
const Name = "telegramgroup"

// Channel is the Telegram staff group desk: one forum topic per
// conversation. It implements [sdk.Channel] and [sdk.AttachmentOpener].
type Channel struct {
	version    string
	httpClient *http.Client
	now        func() time.Time

	// state is the configured group; empty until Configure succeeds.
	state sdk.Configured[state]
	// topics remembers topics created for conversations whose first
	// delivery has not succeeded yet, so its retry uses the same topic.
	topics *topicCache

	mu     sync.Mutex // guards poller
	poller *runner
}

// state is everything one successful Configure learned.
type state struct {
	cfg  Config
	bot  *telego.Bot
	me   telego.User
	host sdk.Host
	log  hclog.Logger
	gate *gate
	// secret is the webhook's secret_token, derived from the token.
	secret string
}

// Options configure a [Channel]; zero values mean defaults.
type Options struct {
	// Version is reported by Describe; "dev" when empty.
	Version string
	// HTTPClient makes every Bot API call; deskhttp.NewClient's when nil.
	HTTPClient *http.Client
	// Now is the clock of the rate-limit gate; time.Now when nil.
	Now func() time.Time
}

// New returns an unconfigured channel.
func New(o Options) *Channel {
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = deskhttp.NewClient(Name, o.Version)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Channel{version: o.Version, httpClient: o.HTTPClient, now: o.Now, topics: newTopicCache(1000)}
}

// Describe implements [sdk.Channel].
func (c *Channel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name:        Name,
		Version:     c.version,
		Description: "Telegram staff group: one forum topic per conversation in a private supergroup, answered by agents in the topic",
		Capabilities: sdk.Capabilities{
			Threads: true, FileUpload: true, Webhooks: true, Edits: true, OwnConnection: true,
			ReplyAttachments: true, Lifecycle: true, Formatting: sdk.FormattingHTML,
		},
		ConfigKeys: slices.Clone(configKeys),
	}, nil
}

// Configure implements [sdk.Channel]: it checks the table, then asks
// Telegram (getMe, getChat, getChatMember) that the staff bot is an
// administrator with Manage topics in a forum supergroup, and starts
// receiving the group's updates. Each problem is reported on its key.
func (c *Channel) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	cfg, errs, err := parseConfig(req.Config)
	if err != nil {
		return sdk.ConfigureResponse{}, err
	}
	if cfg.Webhook && req.HookBaseURL == "" {
		errs = append(errs, sdk.ConfigError{Key: "webhook", Message: "the host has no public URL for /hooks/" +
			"<channel>: set server.public_url, or turn webhook off to poll getUpdates"})
	}
	if len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, nil
	}
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	bot, err := newBot(cfg, c.httpClient)
	if err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "bot_token", Message: "telego refused the token"}}}, nil
	}
	st := &state{cfg: cfg, bot: bot, host: req.Host, log: log, gate: &gate{now: c.now}, secret: WebhookSecret(cfg.BotToken)}
	resp, err := c.check(ctx, st)
	if err != nil || len(resp.Errors) > 0 {
		return resp, err
	}
	if cfg.Webhook && req.Host != nil {
		err := bot.SetWebhook(ctx, &telego.SetWebhookParams{URL: req.HookBaseURL, SecretToken: st.secret,
			AllowedUpdates: allowedUpdates})
		if err != nil {
			if e, ok := apiError(err); ok && e.ErrorCode == http.StatusBadRequest {
				return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "webhook",
					Message: "Telegram refused the webhook URL (" + e.Description + "): it needs HTTPS on port 443, 80, 88 or 8443"}}}, nil
			}
			return sdk.ConfigureResponse{}, classify("setWebhook", err, cfg.BotToken)
		}
	}
	c.state.Set(st)
	c.restartPoller(ctx, st)
	log.Info("configured", "group_id", cfg.GroupID, "bot", "@"+st.me.Username, "webhook", cfg.Webhook,
		"upload_files", cfg.UploadFiles)
	return sdk.ConfigureResponse{}, nil
}

// check asks Telegram about the bot and the group.
func (c *Channel) check(ctx context.Context, st *state) (sdk.ConfigureResponse, error) {
	var resp sdk.ConfigureResponse
	add := func(key, msg string) { resp.Errors = append(resp.Errors, sdk.ConfigError{Key: key, Message: msg}) }
	token := st.cfg.BotToken
	me, err := st.bot.GetMe(ctx)
	if err != nil {
		if e, ok := apiError(err); ok && (e.ErrorCode == http.StatusUnauthorized || e.ErrorCode == http.StatusNotFound) {
			add("bot_token", "Telegram refused the token ("+e.Description+"): copy the staff bot's token from @BotFather")
			return resp, nil
		}
		return resp, classify("getMe", err, token)
	}
	st.me = *me
	chat, err := st.bot.GetChat(ctx, &telego.GetChatParams{ChatID: telego.ChatID{ID: st.cfg.GroupID}})
	if err != nil {
		if e, ok := apiError(err); ok && e.ErrorCode < 500 && e.ErrorCode != http.StatusTooManyRequests {
			add("group_id", fmt.Sprintf("@%s cannot see chat %d (%s): add the bot to the group, or check the id",
				me.Username, st.cfg.GroupID, e.Description))
			return resp, nil
		}
		return resp, classify("getChat", err, token)
	}
	if chat.Type != telego.ChatTypeSupergroup || !chat.IsForum {
		add("group_id", fmt.Sprintf("%q has no topics: turn on Topics in the group's settings (Edit → Topics)", chat.Title))
	}
	member, err := st.bot.GetChatMember(ctx, &telego.GetChatMemberParams{ChatID: telego.ChatID{ID: st.cfg.GroupID}, UserID: me.ID})
	if err != nil {
		return resp, classify("getChatMember", err, token)
	}
	switch m := member.(type) {
	case *telego.ChatMemberOwner:
	case *telego.ChatMemberAdministrator:
		if !m.CanManageTopics {
			add("bot_token", fmt.Sprintf("@%s may not manage topics in %q: edit the bot's administrator rights and turn on Manage topics",
				me.Username, chat.Title))
		}
	default:
		add("bot_token", fmt.Sprintf("@%s is not an administrator of %q: promote it with the right Manage topics",
			me.Username, chat.Title))
	}
	return resp, nil
}

// Close stops receiving the group's updates.
func (c *Channel) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.poller != nil {
		c.poller.stop()
		c.poller = nil
	}
}
