// Package webhook is the reference Parley channel: each Telegram message
// is POSTed as signed JSON to a URL, and agent replies come back as signed
// JSON to the channel's webhook. It is deliberately small so plugin
// authors can read it end to end.
package webhook

import (
	"context"
	"net/http"
	"net/netip"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/sdk"
)

// Version is the plugin's release, stamped by the build (sdk.BuildVersion).
var Version = sdk.BuildVersion()

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the raw body>" on
// requests in both directions.
const SignatureHeader = "X-Parley-Signature"

// Channel is the webhook channel. The zero value is not configured; use
// [New].
type Channel struct {
	mu     sync.RWMutex
	cfg    *config
	client *http.Client
	// files fetches reply attachments: agent-supplied URLs, so it refuses
	// non-public addresses unless the config allows them.
	files  *http.Client
	logger hclog.Logger
	// isPublic lets tests treat chosen 127.0.0.1 servers as public.
	isPublic func(netip.AddrPort) bool
}

var _ interface {
	sdk.Channel
	sdk.AttachmentOpener
} = (*Channel)(nil)

// New returns an unconfigured webhook channel.
func New() *Channel { return &Channel{logger: hclog.NewNullLogger()} }

// Describe implements sdk.Channel.
func (c *Channel) Describe(ctx context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name:        "webhook",
		Version:     Version,
		Description: "POSTs every message as signed JSON to a URL and takes signed replies back.",
		Capabilities: sdk.Capabilities{
			Threads: true, Webhooks: true, ReplyAttachments: true, Lifecycle: true, Formatting: "plain",
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
	cfg, errs := parseConfig(req.Config)
	if len(errs) > 0 {
		return sdk.ConfigureResponse{Errors: errs}, nil
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = cfg.timeout
	// The host delivers up to dispatch.concurrency messages at once to the
	// one receiver; Go's default of 2 idle connections per host would open
	// and close a connection for most of them.
	transport.MaxIdleConnsPerHost = 64
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg = &cfg
	c.client = &http.Client{Transport: transport}
	c.files = attachmentClient(transport, cfg.allowPrivateURLs, c.isPublic)
	if req.Logger != nil {
		c.logger = req.Logger
	}
	return sdk.ConfigureResponse{}, nil
}

// filesClient returns the attachment client, or sdk.ErrNotConfigured.
func (c *Channel) filesClient() (*http.Client, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cfg == nil {
		return nil, sdk.ErrNotConfigured
	}
	return c.files, nil
}

// current returns the configuration, or sdk.ErrNotConfigured.
func (c *Channel) current() (*config, *http.Client, hclog.Logger, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cfg == nil {
		return nil, nil, nil, sdk.ErrNotConfigured
	}
	return c.cfg, c.client, c.logger, nil
}
