package hipchatchannel

import (
	"context"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// Name is the channel's name in Describe.
const Name = "hipchat"

// probeTimeout bounds the token check in Configure: a slow HipChat must
// not hold up the host's start.
const probeTimeout = 5 * time.Second

// Options configure a [Channel]; zero values mean defaults.
type Options struct {
	// Version is reported by Describe and in the User-Agent; "dev" when empty.
	Version string
	// HTTPClient calls HipChat; deskhttp.NewClient's when nil.
	HTTPClient *http.Client
	// Now is the clock used for rate-limit resets and JWT expiry.
	Now func() time.Time
}

// Channel is the HipChat channel. Configure must succeed before Deliver
// and HandleWebhook; all methods are safe for concurrent use.
type Channel struct {
	opts  Options
	state sdk.Configured[state]
}

// state is what Configure built; replaced whole on reconfiguration.
type state struct {
	cfg     config
	client  *hcapi.Client
	host    sdk.Host
	log     hclog.Logger
	matcher *grammar
}

var (
	_ sdk.Channel          = (*Channel)(nil)
	_ sdk.AttachmentOpener = (*Channel)(nil)
)

// New returns an unconfigured channel.
func New(opts Options) *Channel {
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = deskhttp.NewClient(Name, opts.Version)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Channel{opts: opts}
}

// Describe says what the channel is and accepts.
func (c *Channel) Describe(ctx context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name:        Name,
		Version:     c.opts.Version,
		Description: "HipChat room: conversations as #handles in notifications, agents reply with \"#42 text\" and close with \"#42 /close\"",
		Capabilities: sdk.Capabilities{
			Webhooks:         true,
			ReplyAttachments: true,
			Lifecycle:        true,
			Formatting:       sdk.FormattingHTML,
		},
		ConfigKeys: configKeys,
	}, nil
}

// Configure validates the table, checks the token against the room, and
// registers the webhook when asked to.
func (c *Channel) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	cfg, errs, err := parseConfig(req.Config, req.HookBaseURL)
	if err != nil || len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, err
	}
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	client, err := hcapi.New(cfg.ServerURL, cfg.Token, hcapi.WithHTTPClient(c.opts.HTTPClient), hcapi.WithClock(c.opts.Now))
	if err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "server_url", Message: err.Error()}}}, nil
	}
	st := &state{cfg: cfg, client: client, host: req.Host, log: log, matcher: newGrammar(cfg.BotMention)}
	if errs := c.probe(ctx, st); len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, nil
	}
	if cfg.RegisterWebhook {
		if errs := c.register(ctx, st, req.HookBaseURL); len(errs) > 0 {
			return sdk.ConfigureResponse{Errors: errs}, nil
		}
	}
	c.state.Set(st)
	return sdk.ConfigureResponse{}, nil
}

// probe asks HipChat (auth_test: nothing is posted) whether the token may
// notify the room. A definite no is a config error; an unreachable server
// is only logged, so a HipChat outage does not keep the channel down.
func (c *Channel) probe(ctx context.Context, st *state) []sdk.ConfigError {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err := st.client.ProbeNotify(ctx, st.cfg.Room)
	switch hcapi.StatusOf(err) {
	case 0:
		if err != nil {
			st.log.Warn("could not check the HipChat token; continuing", "error", err)
		}
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return []sdk.ConfigError{{Key: "token", Message: "HipChat rejected the token for room " + quote(st.cfg.Room) +
			" (invalid, expired, for another room, or without send_notification): " + err.Error()}}
	case http.StatusNotFound:
		return []sdk.ConfigError{{Key: "room", Message: "HipChat has no room " + quote(st.cfg.Room) + " (renamed? use its numeric id)"}}
	default:
		st.log.Warn("could not check the HipChat token; continuing", "error", err)
		return nil
	}
}

func quote(s string) string { return `"` + s + `"` }
