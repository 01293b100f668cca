package sdk_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

// echoHost is a channel that posts every delivered message back to the host
// as a reply, through the Host it got in its latest Configure.
type echoHost struct{ host sdk.Host }

func (c *echoHost) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "echohost", Version: "1"}, nil
}

func (c *echoHost) Configure(_ context.Context, r sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	c.host = r.Host
	return sdk.ConfigureResponse{}, nil
}

func (c *echoHost) Deliver(ctx context.Context, r sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	_, err := c.host.PostReply(ctx, sdk.Reply{ConversationID: r.Conversation.ID, ExternalID: r.Message.ID, Text: r.Message.Text})
	return sdk.DeliverResponse{ThreadRef: []byte(r.Conversation.ID)}, err
}

func (c *echoHost) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: 200}, nil
}

// A host reconfigures a plugin (after a config reload or a restart of its
// own side); the plugin's callbacks must keep reaching the host.
func TestReconfigureKeepsHostConnection(t *testing.T) {
	h := plugintest.Serve(t, &echoHost{})
	for i := 0; i < 3; i++ {
		plugintest.AssertConfigured(t, h.Configure(t, map[string]any{}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "ping"}
	if _, err := h.Channel.Deliver(ctx, plugintest.SampleDeliver(msg, nil)); err != nil {
		t.Fatalf("Deliver after three Configure calls: %v", err)
	}
	if got := plugintest.AssertReplies(t, h.Host, 1, 5*time.Second); got[0].Text != "ping" {
		t.Fatalf("reply text %q", got[0].Text)
	}
}

// failingHost refuses every call, as the host does for a reply to an
// unknown conversation.
type failingHost struct{}

func (failingHost) PostReply(context.Context, sdk.Reply) (sdk.PostReplyResult, error) {
	return sdk.PostReplyResult{}, sdk.Permanent(errors.New("unknown conversation c_x"))
}

func (failingHost) PostAction(context.Context, sdk.Action) (sdk.ActionResult, error) {
	return sdk.ActionResult{}, errors.New("host down")
}

func (failingHost) OpenFile(context.Context, string) (io.ReadCloser, sdk.FileInfo, error) {
	return nil, sdk.FileInfo{}, errors.New("no such file")
}

// A host-side error reaches the plugin as an error with its marker, and
// the host keeps serving.
func TestHostErrorsCrossTheBoundary(t *testing.T) {
	h := plugintest.Serve(t, &echoHost{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.Channel.Configure(ctx, sdk.ConfigureRequest{Config: []byte("{}"), Host: failingHost{}})
	if err != nil || len(resp.Errors) > 0 {
		t.Fatalf("configure: %v %v", resp, err)
	}
	for i := 0; i < 2; i++ {
		_, err = h.Channel.Deliver(ctx, plugintest.SampleDeliver(sdk.Message{ID: "m", Kind: sdk.KindText, Text: "x"}, nil))
		if err == nil || !sdk.IsPermanent(err) || !strings.Contains(err.Error(), "unknown conversation") {
			t.Fatalf("deliver %d: err = %v, want the host's permanent error", i, err)
		}
	}
}
