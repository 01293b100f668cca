package hipchatchannel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/parley-dev/parley/plugins/hipchat/internal/hcapi"
	"github.com/parley-dev/parley/sdk"
)

// Name is the channel's name in Describe.
const Name = "hipchat"

// probeTimeout bounds the token check in Configure: a slow HipChat must
// not hold up the host's start.
const probeTimeout = 5 * time.Second

// Options configure a [Channel].
type Options struct {
	// Version is reported by Describe.
	Version string
	// HTTPClient calls HipChat; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock used for rate-limit resets and JWT expiry.
	Now func() time.Time
}

// Channel is the HipChat channel. Configure must succeed before Deliver
// and HandleWebhook; all methods are safe for concurrent use.
type Channel struct {
	opts  Options
	state atomic.Pointer[state]
}

// state is what Configure built; replaced whole on reconfiguration.
type state struct {
	cfg     Config
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
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
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
			Formatting:       "html",
		},
		ConfigKeys: configKeys(),
	}, nil
}

// Configure validates the table, checks the token against the room, and
// registers the webhook when asked to.
func (c *Channel) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var cfg Config
	raw := req.Config
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{decodeError(err)}}, nil
	}
	if errs := cfg.validate(req.HookBaseURL); len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, nil
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
	c.state.Store(st)
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

func (c *Channel) current() (*state, error) {
	st := c.state.Load()
	if st == nil {
		return nil, sdk.ErrNotConfigured
	}
	return st, nil
}

func decodeError(err error) sdk.ConfigError {
	msg := err.Error()
	if k, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return sdk.ConfigError{Key: strings.Trim(k, `"`), Message: "unknown key"}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return sdk.ConfigError{Key: te.Field, Message: "must be a " + te.Type.String()}
	}
	return sdk.ConfigError{Message: "config table: " + msg}
}

func quote(s string) string { return `"` + s + `"` }
