package slackchannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
	"github.com/slack-go/slack"
)

// Name is the plugin's name in Describe.
const Name = "slack"

// Channel is the Slack desk: one thread per Telegram conversation in one
// Slack channel. It implements [sdk.Channel] and [sdk.AttachmentOpener].
type Channel struct {
	version string
	// httpClient is used for every Slack call.
	httpClient *http.Client
	now        func() time.Time

	// state is the configured workspace; empty until Configure succeeds.
	state sdk.Configured[state]
	// events deduplicates Events API retries and Socket Mode redeliveries.
	events *eventCache

	mu     sync.Mutex // guards socket
	socket *socketRunner
}

// state is everything one successful Configure learned.
type state struct {
	cfg         Config
	api         *slack.Client
	channelID   string
	channelName string
	botUserID   string
	botID       string
	appID       string
	// customize is true when the app may post under the customer's name
	// (chat:write.customize); without it the name goes into the text.
	customize bool
	host      sdk.Host
	log       hclog.Logger
	names     *nameCache
	// name is the operator's name for the channel: lifecycle notices name
	// the channel whose action caused them.
	name string
	// teamURL is the workspace's URL (https://acme.slack.com/), for links
	// to threads.
	teamURL string
	// headers remembers which messages are conversation headers.
	headers *headerCache
	// reactions is false when the app lacks reactions:read or
	// reactions:write: the buttons still work.
	reactions bool
}

// Options configure a [Channel]; zero values mean defaults.
type Options struct {
	// Version is reported by Describe; "dev" when empty.
	Version string
	// HTTPClient makes every Slack Web API call; deskhttp.NewClient's when
	// nil.
	HTTPClient *http.Client
	// Now is the clock of the event and name caches; time.Now when nil.
	Now func() time.Time
}

// New returns an unconfigured Slack channel.
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
	return &Channel{version: o.Version, httpClient: o.HTTPClient, now: o.Now,
		events: newEventCache(10*time.Minute, 10000, o.Now)}
}

// Describe implements [sdk.Channel].
func (c *Channel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name:        Name,
		Version:     c.version,
		Description: "Slack: one thread per Telegram conversation in a Slack channel (Events API or Socket Mode)",
		Capabilities: sdk.Capabilities{
			Threads: true, FileUpload: true, Webhooks: true, Edits: true, OwnConnection: true,
			ReplyAttachments: true, Lifecycle: true, Reactions: true, Formatting: sdk.FormattingSlackMrkdwn,
		},
		ConfigKeys: slices.Clone(configKeys),
	}, nil
}

// requiredScopes are the bot scopes the plugin cannot work without; the
// history and read scopes depend on whether the channel is private.
func requiredScopes(cfg Config, private bool) []string {
	s := []string{"chat:write", "users:read", "files:read"}
	if private {
		s = append(s, "groups:history", "groups:read")
	} else {
		s = append(s, "channels:history", "channels:read")
	}
	if cfg.UploadFiles {
		s = append(s, "files:write")
	}
	return s
}

// channelIDPattern tells ids from names: Slack channel names are lowercase.
var channelIDPattern = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// Configure implements [sdk.Channel]: it checks the table, calls auth.test,
// finds the channel and checks the bot is in it, then (Socket Mode) opens
// the websocket. Each problem is reported against its key.
func (c *Channel) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	cfg, errs, err := parseConfig(req.Config)
	if err != nil {
		return sdk.ConfigureResponse{}, err
	}
	if len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, nil
	}
	if cfg.socketMode() && req.Host == nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "app_token",
			Message: "Socket Mode needs the host callback, which this host did not provide"}}}, nil
	}
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL.String()), slack.OptionHTTPClient(c.httpClient)}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	api := slack.New(cfg.BotToken, opts...)

	st := &state{cfg: cfg, api: api, host: req.Host, log: log, name: req.ChannelName, headers: newHeaderCache(10000)}
	st.names = newNameCache(api, 10*time.Minute, c.now)
	resp, err := c.check(ctx, st)
	if err != nil || len(resp.Errors) > 0 {
		return resp, err
	}
	c.state.Set(st)
	c.restartSocket(ctx, st)
	log.Info("configured", "channel", "#"+st.channelName, "channel_id", st.channelID,
		"socket_mode", cfg.socketMode(), "upload_files", cfg.UploadFiles, "customize", st.customize)
	if !st.reactions {
		// Not a configuration error: an app installed before reactions
		// keeps working, with the header's buttons.
		log.Warn("the app lacks reactions:read or reactions:write: claiming and closing by reaction is off " +
			"(the header's buttons still work); add both scopes and the reaction_added and reaction_removed " +
			"events, then reinstall the app")
	}
	return sdk.ConfigureResponse{}, nil
}

// check asks Slack about the token and the channel, filling st.
func (c *Channel) check(ctx context.Context, st *state) (sdk.ConfigureResponse, error) {
	var resp sdk.ConfigureResponse
	add := func(key, msg string) { resp.Errors = append(resp.Errors, sdk.ConfigError{Key: key, Message: msg}) }

	auth, err := st.api.AuthTestContext(ctx)
	if err != nil {
		if code := slackCode(err); code != "" {
			add("bot_token", fmt.Sprintf("Slack refused the token (%s): %s", code, hints[code]))
			return resp, nil
		}
		// Not Slack's answer: a network or HTTP problem is worth retrying.
		return resp, classify("auth.test", err)
	}
	st.botUserID, st.botID, st.teamURL = auth.UserID, auth.BotID, auth.URL
	if st.botID != "" {
		if bot, err := st.api.GetBotInfoContext(ctx, slack.GetBotInfoParameters{Bot: st.botID}); err == nil {
			st.appID = bot.AppID
		}
	}
	var granted []string
	scopeHeader := auth.Header.Get("X-OAuth-Scopes")
	for _, s := range strings.Split(scopeHeader, ",") {
		if s = strings.TrimSpace(s); s != "" {
			granted = append(granted, s)
		}
	}
	st.customize = slices.Contains(granted, "chat:write.customize")
	st.reactions = scopeHeader == "" || (slices.Contains(granted, "reactions:read") && slices.Contains(granted, "reactions:write"))

	ch, chErrs := c.findChannel(ctx, st)
	if len(chErrs) > 0 {
		resp.Errors = append(resp.Errors, chErrs...)
	}
	// Only check scopes when Slack told us the grant (it always does; a
	// proxy might strip the header).
	if scopeHeader != "" {
		var missing []string
		for _, s := range requiredScopes(st.cfg, ch != nil && ch.IsPrivate) {
			if !slices.Contains(granted, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			add("bot_token", "the app lacks scope "+strings.Join(missing, ", ")+
				": add it under OAuth & Permissions, reinstall the app and update bot_token")
		}
	}
	if ch == nil {
		return resp, nil
	}
	switch {
	case ch.IsArchived:
		add("channel", fmt.Sprintf("#%s is archived; unarchive it or choose another channel", ch.Name))
	case !ch.IsMember:
		add("channel", fmt.Sprintf("the bot is not in #%s; type /invite @%s in the channel", ch.Name, auth.User))
	}
	st.channelID, st.channelName = ch.ID, ch.Name
	return resp, nil
}

// findChannel resolves the configured channel by id or by name.
func (c *Channel) findChannel(ctx context.Context, st *state) (*slack.Channel, []sdk.ConfigError) {
	want := strings.TrimPrefix(strings.TrimSpace(st.cfg.Channel), "#")
	fail := func(err error) (*slack.Channel, []sdk.ConfigError) {
		code := slackCode(err)
		switch code {
		case "":
			return nil, []sdk.ConfigError{{Key: "channel", Message: "could not look up the channel: " + err.Error()}}
		case "missing_scope":
			se, _ := errors.AsType[slack.SlackErrorResponse](err)
			return nil, []sdk.ConfigError{{Key: "bot_token", Message: "the app lacks scope " + se.Needed +
				" to look up the channel: add it and reinstall the app"}}
		case "channel_not_found":
			return nil, []sdk.ConfigError{{Key: "channel", Message: fmt.Sprintf(
				"no channel %q the bot can see; for a private channel invite the app first", st.cfg.Channel)}}
		}
		return nil, []sdk.ConfigError{{Key: "channel", Message: fmt.Sprintf("Slack answered %s looking up the channel", code)}}
	}
	if channelIDPattern.MatchString(want) {
		ch, err := st.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: want})
		if err != nil {
			return fail(err)
		}
		return ch, nil
	}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"},
		ExcludeArchived: false, Limit: 200}
	for {
		list, cursor, err := st.api.GetConversationsContext(ctx, params)
		if slackCode(err) == "missing_scope" && len(params.Types) == 2 {
			// Without groups:read only public channels can be listed.
			params.Types = []string{"public_channel"}
			continue
		}
		if err != nil {
			return fail(err)
		}
		for i := range list {
			if strings.EqualFold(list[i].Name, want) {
				return &list[i], nil
			}
		}
		if cursor == "" {
			return nil, []sdk.ConfigError{{Key: "channel", Message: fmt.Sprintf(
				"no channel named #%s the bot can see; for a private channel invite the app first", want)}}
		}
		params.Cursor = cursor
	}
}

// configured returns the current state or sdk.ErrNotConfigured.
func (c *Channel) configured() (*state, error) { return c.state.Get() }

// Close stops the Socket Mode connection, if any.
func (c *Channel) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.socket != nil {
		c.socket.stop()
		c.socket = nil
	}
}
