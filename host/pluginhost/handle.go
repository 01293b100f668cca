package pluginhost

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/pluginclient"
)

// Handle is a channel as the rest of the host sees it: every call goes to
// the plugin's current process. While there is none (starting, restarting,
// failed, stopped) a call fails at once with "plugin <name> is
// restarting"-style errors that match [ErrUnavailable] and carry a retry
// hint (sdk.RetryHint), so callers keep the work and try again later.
type Handle struct{ c *channel }

var _ interface {
	sdk.Channel
	sdk.AttachmentOpener
	pluginclient.BatchDeliverer
} = (*Handle)(nil)

// Name is the channel's name.
func (h *Handle) Name() string { return h.c.spec.Name }

// Describe implements sdk.Channel.
func (h *Handle) Describe(ctx context.Context) (sdk.DescribeResponse, error) {
	return call(ctx, h.c, "Describe", func(cc *pluginclient.ChannelClient) (sdk.DescribeResponse, error) {
		return cc.Describe(ctx)
	})
}

// Configure implements sdk.Channel. The manager configures each process
// itself; calling this replaces the running process's configuration until
// its next restart, which uses the spec again.
func (h *Handle) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	return call(ctx, h.c, "Configure", func(cc *pluginclient.ChannelClient) (sdk.ConfigureResponse, error) {
		return cc.Configure(ctx, req)
	})
}

// Deliver implements sdk.Channel.
func (h *Handle) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	return call(ctx, h.c, "Deliver", func(cc *pluginclient.ChannelClient) (sdk.DeliverResponse, error) {
		return cc.Deliver(ctx, req)
	})
}

// DeliverBatch implements pluginclient.BatchDeliverer. The failure of an item is
// looked at as a failed call's error is (a lost process or configuration
// becomes a "restarting" error); the items delivered before it stand.
func (h *Handle) DeliverBatch(ctx context.Context, req pluginclient.DeliverBatchRequest) pluginclient.DeliverBatchResponse {
	resp, err := call(ctx, h.c, "DeliverBatch", func(cc *pluginclient.ChannelClient) (pluginclient.DeliverBatchResponse, error) {
		r := cc.DeliverBatch(ctx, req)
		return r, r.Err
	})
	resp.Err = err
	return resp
}

// HandleWebhook implements sdk.Channel.
func (h *Handle) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return call(ctx, h.c, "HandleWebhook", func(cc *pluginclient.ChannelClient) (sdk.WebhookResponse, error) {
		return cc.HandleWebhook(ctx, req)
	})
}

// attachment bundles OpenAttachment's two results for call.
type attachment struct {
	rc   io.ReadCloser
	info sdk.FileInfo
}

// OpenAttachment implements sdk.AttachmentOpener; for a plugin without
// reply attachments it fails with a permanent error.
func (h *Handle) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	a, err := call(ctx, h.c, "OpenAttachment", func(cc *pluginclient.ChannelClient) (attachment, error) {
		rc, info, err := cc.OpenAttachment(ctx, ref)
		return attachment{rc, info}, err
	})
	return a.rc, a.info, err
}

// call runs one RPC on the current process, counts and times it, and turns
// the signs of a dead process into a retryable "restarting" error.
func call[T any](ctx context.Context, c *channel, method string, fn func(*pluginclient.ChannelClient) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	inst, err := c.live()
	if err != nil {
		c.record(method, 0, err)
		return zero, err
	}
	start := time.Now()
	out, err := fn(inst.client)
	if err != nil {
		err = c.afterError(ctx, inst, err)
	}
	c.record(method, time.Since(start), err)
	return out, err
}

// live returns the running process or the retryable reason there is none.
func (c *channel) live() (*instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateRunning && c.inst != nil {
		return c.inst, nil
	}
	wait := time.Until(c.retryAt)
	switch c.state {
	case StateFailed, StateStopped:
		// Down until an operator acts: callers should keep the work and
		// look again much later, not spin.
		wait = c.m.opts.MaxBackoff
	}
	wait = max(wait, c.m.opts.MinBackoff)
	return nil, sdk.RetryAfter(&unavailableError{channel: c.spec.Name, state: c.state, cause: c.lastErr}, wait)
}

// afterError looks at a failed call: a plugin that lost its configuration
// or its process means a restart, reported as such to the caller; any
// other error is the plugin's answer and is returned as is.
func (c *channel) afterError(ctx context.Context, inst *instance, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if errors.Is(err, sdk.ErrNotConfigured) {
		c.wantReconfigure(inst, err)
		return sdk.RetryAfter(&unavailableError{channel: c.spec.Name, state: StateRestarting, cause: err}, c.m.opts.MinBackoff)
	}
	var re *sdk.RemoteError
	if !errors.As(err, &re) || re.Code != "Unavailable" {
		return err
	}
	// Unavailable is also what a desk's 429 looks like; only a lost
	// connection makes it ours.
	c.nudge()
	if !inst.connLost() {
		return err
	}
	return sdk.RetryAfter(&unavailableError{channel: c.spec.Name, state: StateRestarting, cause: err}, c.m.opts.MinBackoff)
}

// record counts a call for Status and the Observe hook.
func (c *channel) record(method string, took time.Duration, err error) {
	c.mu.Lock()
	st := c.calls[method]
	if st == nil {
		st = &CallStats{}
		c.calls[method] = st
	}
	st.Count++
	st.Total += took
	if err != nil {
		st.Errors++
	}
	c.mu.Unlock()
	if c.m.opts.Observe != nil {
		c.m.opts.Observe(c.spec.Name, method, took, err)
	}
}
