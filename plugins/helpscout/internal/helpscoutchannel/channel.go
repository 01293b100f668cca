package helpscoutchannel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// cacheLimit bounds each id cache (see cache).
const cacheLimit = 10000

// Name is the plugin's name, as in parley-channel-helpscout.
const Name = "helpscout"

// Options configure a [Channel].
type Options struct {
	// Version is reported by Describe.
	Version string
	// HTTPClient calls Help Scout; deskhttp.NewClient's when nil.
	HTTPClient *http.Client
	// Now is the clock for expecting the echoes of status changes;
	// time.Now when nil.
	Now func() time.Time
}

// Channel is the Help Scout channel. Create it with [New].
type Channel struct {
	version string
	http    *http.Client
	now     func() time.Time

	st sdk.Configured[state]
}

// state is what Configure produced; it is replaced whole, never mutated, so
// calls in flight keep a consistent view.
type state struct {
	cfg  Config
	api  *hsapi.Client
	host sdk.Host
	log  hclog.Logger
	// cache holds ids of this account only, so it goes with the config.
	cache *cache
	// name is the operator's name of the channel: a notice from this
	// channel's own action is an echo.
	name string
	// echoes are the status changes this channel made in Help Scout.
	echoes *echoes
}

var (
	_ sdk.Channel          = (*Channel)(nil)
	_ sdk.AttachmentOpener = (*Channel)(nil)
)

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
	return &Channel{version: o.Version, http: o.HTTPClient, now: o.Now}
}

// Describe reports the plugin's name, capabilities and config keys.
func (c *Channel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name:        Name,
		Version:     c.version,
		Description: "Help Scout: each Telegram conversation is a chat conversation in a mailbox; agent replies come back by webhook",
		Capabilities: sdk.Capabilities{
			Threads: true, FileUpload: true, Webhooks: true, ReplyAttachments: true, Lifecycle: true, Formatting: sdk.FormattingHTML,
		},
		ConfigKeys: append([]sdk.ConfigKey(nil), configKeys...),
	}, nil
}

// Configure validates the table, fetches a token (proving the app
// credentials) and checks that the mailbox exists. Problems Help Scout
// reports are per-key errors; an unreachable Help Scout is an error, so
// the host tries again later.
func (c *Channel) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	cfg, errs, err := parseConfig(req.Config)
	if err != nil {
		return sdk.ConfigureResponse{}, err
	}
	if len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, nil
	}
	api, err := hsapi.New(hsapi.Options{BaseURL: cfg.APIURL.String(), AppID: cfg.AppID, AppSecret: cfg.AppSecret, HTTPClient: c.http})
	if err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "api_url", Message: err.Error()}}}, nil
	}
	if err := api.Authenticate(ctx); err != nil {
		if st := hsapi.StatusOf(err); st >= 400 && st < 500 && st != http.StatusTooManyRequests {
			return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "app_secret",
				Message: fmt.Sprintf("Help Scout refused the app_id/app_secret pair (HTTP %d): copy both from Your Profile → My Apps", st)}}}, nil
		}
		return sdk.ConfigureResponse{}, classify(err)
	}
	if _, err := api.Mailbox(ctx, cfg.MailboxID); err != nil {
		switch hsapi.StatusOf(err) {
		case http.StatusNotFound:
			return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "mailbox_id",
				Message: fmt.Sprintf("no mailbox %d is visible to the app's user", cfg.MailboxID)}}}, nil
		case http.StatusForbidden, http.StatusUnauthorized:
			return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "app_id",
				Message: "Help Scout denied access to the Mailbox API: " + err.Error()}}}, nil
		}
		return sdk.ConfigureResponse{}, classify(err)
	}
	st := &state{cfg: cfg, api: api, host: req.Host, log: log, cache: newCache(cacheLimit), name: req.ChannelName, echoes: newEchoes(c.now)}
	if req.HookBaseURL == "" {
		log.Warn("the host has no public URL: Help Scout cannot send agent replies until one is set")
	} else {
		log.Info("point a Help Scout webhook at this URL with events convo.agent.reply.created, convo.status and convo.assigned", "url", req.HookBaseURL)
	}
	if cfg.UploadFiles && req.Host == nil {
		log.Warn("upload_files is on but the host offers no file access; files will be linked")
	}
	c.st.Set(st)
	return sdk.ConfigureResponse{}, nil
}

// classify turns a Help Scout failure into the SDK's retry markers: a 429
// waits as long as Help Scout asked; a validation error (400), a refused
// token or permission (401 after a refresh, 403) cannot be fixed by
// retrying; everything else (5xx, network) is retried with backoff.
func classify(err error) error {
	var e *hsapi.Error
	if !errors.As(err, &e) {
		return err
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		return sdk.RetryAfter(err, e.RetryAfter)
	case e.Status == http.StatusBadRequest, e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden,
		e.Status == http.StatusRequestEntityTooLarge:
		return sdk.Permanent(err)
	}
	return err
}

func formatID(id int64) []byte { return []byte(strconv.FormatInt(id, 10)) }

func parseRef(ref []byte) (int64, error) {
	id, err := strconv.ParseInt(string(ref), 10, 64)
	if err != nil || id <= 0 {
		return 0, sdk.Permanent(fmt.Errorf("thread_ref %q is not a Help Scout conversation id", ref))
	}
	return id, nil
}

func asError(err error, target **hsapi.Error) bool { return errors.As(err, target) }
