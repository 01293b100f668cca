// Package webhookchannel is the reference Parley channel: each Telegram
// message is POSTed as signed JSON to a URL, and agent replies come back as
// signed JSON to the channel's webhook. It is deliberately small so plugin
// authors can read it end to end.
//
// Unlike the other plugins' channels it is not under internal/: the
// benchmark's in-process arm (host/internal/benchrun) and the fake desk's
// tests (host/internal/webhookdesk) run this same code, which Go's internal
// rule would forbid.
package webhookchannel

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// Name is the channel's name in Describe and in its User-Agent.
const Name = "webhook"

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the raw body>" on
// requests in both directions.
const SignatureHeader = "X-Parley-Signature"

// Options configure a [Channel]; zero values mean defaults.
type Options struct {
	// Version is reported by Describe and in the User-Agent; "dev" when empty.
	Version string
	// HTTPClient POSTs to the receiver; when nil, one built from the
	// config's timeout (see receiverTransport). Deliver bounds each POST by
	// the timeout key either way.
	HTTPClient *http.Client
}

// Channel is the webhook channel. Configure must succeed before Deliver,
// HandleWebhook and OpenAttachment; all methods are safe for concurrent use.
type Channel struct {
	opts  Options
	state sdk.Configured[state]
	// isPublic lets tests treat chosen 127.0.0.1 servers as public.
	isPublic func(netip.AddrPort) bool
}

// state is what Configure built; replaced whole on reconfiguration.
type state struct {
	cfg    config
	client *http.Client
	// files fetches reply attachments: agent-supplied URLs, so it refuses
	// non-public addresses unless the config allows them.
	files *http.Client
	log   hclog.Logger
}

var _ interface {
	sdk.Channel
	sdk.AttachmentOpener
} = (*Channel)(nil)

// New returns an unconfigured webhook channel.
func New(opts Options) *Channel {
	if opts.Version == "" {
		opts.Version = "dev"
	}
	return &Channel{opts: opts}
}

// Describe implements sdk.Channel.
func (c *Channel) Describe(ctx context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name:        Name,
		Version:     c.opts.Version,
		Description: "POSTs every message as signed JSON to a URL and takes signed replies back.",
		Capabilities: sdk.Capabilities{
			Threads: true, Webhooks: true, ReplyAttachments: true, Lifecycle: true, Reactions: true,
			Formatting: sdk.FormattingPlain,
		},
		ConfigKeys: configKeys,
	}, nil
}

// Configure implements sdk.Channel. A rejected table leaves the previous
// configuration in force, so a bad reload never breaks a working channel.
func (c *Channel) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	if err := ctx.Err(); err != nil {
		return sdk.ConfigureResponse{}, err
	}
	cfg, errs, err := parseConfig(req.Config)
	if err != nil || len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, err
	}
	transport := receiverTransport(cfg)
	client := c.opts.HTTPClient
	if client == nil {
		client = &http.Client{Transport: transport}
	}
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	c.state.Set(&state{
		cfg:    cfg,
		client: client,
		files:  attachmentClient(transport, cfg.AllowPrivateURLs, c.isPublic),
		log:    log,
	})
	return sdk.ConfigureResponse{}, nil
}

// receiverTransport is the transport to the receiver and the base of the
// attachment guard's. It is built here rather than taken from
// deskhttp.NewClient because the guard must replace its dialer and because
// of two receiver-specific settings below; the dial and TLS bounds are
// deskhttp's.
func receiverTransport(cfg config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: deskhttp.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = deskhttp.TLSHandshakeTimeout
	// The operator's timeout key bounds the wait for the receiver's answer.
	t.ResponseHeaderTimeout = cfg.Timeout
	// The host delivers up to dispatch.concurrency messages at once to the
	// one receiver; Go's default of 2 idle connections per host would open
	// and close a connection for most of them.
	t.MaxIdleConnsPerHost = 64
	return t
}
