// Package pluginclient is the host side of the Parley channel protocol: an
// sdk.Channel implemented over the gRPC connection to a plugin process, the
// Host service the host serves back over go-plugin's broker, and the batch
// delivery the host uses for a conversation's backlog. The Parley host and
// sdk/plugintest use it; plugin authors never do (they implement
// sdk.Channel and call sdk.Serve).
//
// A host starts a plugin with go-plugin and the settings of package
// sdk/grpcplugin, dispenses grpcplugin.PluginName and hands the
// *grpcplugin.Conn it gets to [New].
package pluginclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	plugin "github.com/hashicorp/go-plugin"
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/grpcplugin"
	"github.com/parley-dev/parley/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ChannelClient is an sdk.Channel that lives in another process. It also
// implements [sdk.AttachmentOpener]; for a plugin without that capability
// the call fails with a permanent error.
type ChannelClient struct {
	client channelv1.ChannelClient
	broker *plugin.GRPCBroker

	// batch is whether the plugin serves DeliverBatch, as its Describe
	// said; until then, and for plugins built before the RPC, a batch goes
	// item by item through Deliver.
	batch atomic.Bool

	mu         sync.Mutex
	hostServed uint32
	hostImpl   *hostServer
}

var _ interface {
	sdk.Channel
	sdk.AttachmentOpener
	BatchDeliverer
} = (*ChannelClient)(nil)

// New is the Channel behind a connection dispensed by go-plugin.
func New(conn *grpcplugin.Conn) *ChannelClient {
	return &ChannelClient{client: conn.Channel, broker: conn.Broker}
}

// Describe implements sdk.Channel.
func (c *ChannelClient) Describe(ctx context.Context) (sdk.DescribeResponse, error) {
	resp, err := c.client.Describe(ctx, &channelv1.DescribeRequest{})
	if err != nil {
		return sdk.DescribeResponse{}, codec.FromStatus(err)
	}
	c.batch.Store(resp.GetCapabilities().GetDeliverBatch())
	return describeFromProto(resp), nil
}

// ProtocolVersion asks the plugin which protocol version it speaks.
func (c *ChannelClient) ProtocolVersion(ctx context.Context) (uint32, error) {
	resp, err := c.client.Describe(ctx, &channelv1.DescribeRequest{})
	if err != nil {
		return 0, codec.FromStatus(err)
	}
	c.batch.Store(resp.GetCapabilities().GetDeliverBatch())
	return resp.GetProtocolVersion(), nil
}

// Configure implements sdk.Channel. When req.Host is set it is served to the
// plugin over the broker (once per client; a later Configure swaps the
// implementation behind the same broker id).
func (c *ChannelClient) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var brokerID uint32
	if req.Host != nil && c.broker != nil {
		c.mu.Lock()
		if c.hostImpl == nil {
			c.hostImpl = &hostServer{}
			c.hostServed = c.broker.NextId()
			impl := c.hostImpl
			go c.broker.AcceptAndServe(c.hostServed, func(opts []grpc.ServerOption) *grpc.Server {
				// Explicit, though it is gRPC's default: the cap on what a
				// plugin may send the host must not depend on it.
				s := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(grpcplugin.MaxMessageSize))...)
				channelv1.RegisterHostServer(s, impl)
				return s
			})
		}
		c.hostImpl.set(req.Host)
		brokerID = c.hostServed
		c.mu.Unlock()
	}
	cfg := []byte(req.Config)
	if len(cfg) == 0 {
		cfg = []byte("{}")
	}
	if !json.Valid(cfg) {
		return sdk.ConfigureResponse{}, sdk.Permanent(errInvalidConfigJSON)
	}
	resp, err := c.client.Configure(ctx, &channelv1.ConfigureRequest{
		ConfigJson: cfg, HostBrokerId: brokerID, HookBaseUrl: req.HookBaseURL, ChannelName: req.ChannelName,
	})
	if err != nil {
		return sdk.ConfigureResponse{}, codec.FromStatus(err)
	}
	var out sdk.ConfigureResponse
	for _, e := range resp.GetErrors() {
		out.Errors = append(out.Errors, sdk.ConfigError{Key: e.GetKey(), Message: e.GetMessage()})
	}
	return out, nil
}

var errInvalidConfigJSON = errors.New("config is not a JSON object")

// Deliver implements sdk.Channel.
func (c *ChannelClient) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	resp, err := c.client.Deliver(ctx, &channelv1.DeliverRequest{
		Conversation: conversationToProto(req.Conversation), Contact: contactToProto(req.Contact),
		Message: messageToProto(req.Message), ThreadRef: req.ThreadRef, EditOfDeskMessageId: req.EditOfDeskMessageID,
		PreviousThreadRef: req.PreviousThreadRef,
	})
	if err != nil {
		return sdk.DeliverResponse{}, codec.FromStatus(err)
	}
	return sdk.DeliverResponse{ThreadRef: resp.GetThreadRef(), DeskMessageID: resp.GetDeskMessageId()}, nil
}

// DeliverBatch implements BatchDeliverer: one round trip for the whole
// batch when the plugin serves it (see Describe), else a Deliver per item.
// A failed call is reported as the failure of the first item: nothing is
// known to have been delivered.
func (c *ChannelClient) DeliverBatch(ctx context.Context, req DeliverBatchRequest) DeliverBatchResponse {
	if !c.batch.Load() {
		return deliverEach(ctx, c.Deliver, req)
	}
	p := &channelv1.DeliverBatchRequest{
		Conversation: conversationToProto(req.Conversation), Contact: contactToProto(req.Contact),
		ThreadRef: req.ThreadRef, Items: make([]*channelv1.DeliverBatchItem, len(req.Items)),
		PreviousThreadRef: req.PreviousThreadRef,
	}
	if req.Budget > 0 {
		p.TimeBudget = durationpb.New(req.Budget)
	}
	for i, it := range req.Items {
		p.Items[i] = &channelv1.DeliverBatchItem{Message: messageToProto(it.Message), EditOfDeskMessageId: it.EditOfDeskMessageID}
	}
	resp, err := c.client.DeliverBatch(ctx, p)
	if err != nil {
		return DeliverBatchResponse{Err: codec.FromStatus(err)}
	}
	out := DeliverBatchResponse{Delivered: make([]sdk.DeliverResponse, len(resp.GetDelivered()))}
	for i, d := range resp.GetDelivered() {
		out.Delivered[i] = sdk.DeliverResponse{ThreadRef: d.GetThreadRef(), DeskMessageID: d.GetDeskMessageId()}
	}
	if f := resp.GetFailure(); f != nil {
		out.Err = codec.FailureFromProto(f)
	}
	if len(out.Delivered) > len(req.Items) {
		// A plugin may not report more than it was given; trust none of it.
		return DeliverBatchResponse{Err: fmt.Errorf("plugin reported %d deliveries for a batch of %d", len(out.Delivered), len(req.Items))}
	}
	return out
}

// HandleWebhook implements sdk.Channel.
func (c *ChannelClient) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	resp, err := c.client.HandleWebhook(ctx, &channelv1.HandleWebhookRequest{
		Method: req.Method, Path: req.Path, RawQuery: req.RawQuery, Headers: wire.HeadersToProto(req.Header),
		Body: req.Body, RemoteAddr: req.RemoteAddr,
	})
	if err != nil {
		return sdk.WebhookResponse{}, codec.FromStatus(err)
	}
	if n := len(resp.GetReplies()); n > grpcplugin.MaxWebhookReplies {
		return sdk.WebhookResponse{}, errTooManyReplies(n)
	}
	out := sdk.WebhookResponse{Status: int(resp.GetStatus()), Header: wire.HeadersFromProto(resp.GetHeaders()), Body: resp.GetBody()}
	if n := len(resp.GetActions()); n > grpcplugin.MaxWebhookReplies {
		return sdk.WebhookResponse{}, errTooMany(n, "actions")
	}
	for _, a := range resp.GetActions() {
		out.Actions = append(out.Actions, actionFromProto(a))
	}
	for _, r := range resp.GetReplies() {
		out.Replies = append(out.Replies, replyFromProto(r))
	}
	return out, nil
}

// OpenAttachment implements sdk.AttachmentOpener.
func (c *ChannelClient) OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.client.OpenAttachment(ctx, &channelv1.OpenAttachmentRequest{Ref: ref})
	if err != nil {
		cancel()
		return nil, sdk.FileInfo{}, codec.FromStatus(err)
	}
	rc, info, err := codec.OpenChunkStream(stream.Recv, cancel)
	if err != nil && status.Code(err) == codes.Unimplemented {
		return nil, sdk.FileInfo{}, sdk.Permanent(err)
	}
	return rc, sdk.FileInfo(info), err
}

// hostServer serves an sdk.Host implementation to the plugin.
type hostServer struct {
	channelv1.UnimplementedHostServer
	mu   sync.RWMutex
	impl sdk.Host
}

func (h *hostServer) set(impl sdk.Host) {
	h.mu.Lock()
	h.impl = impl
	h.mu.Unlock()
}

func (h *hostServer) get() sdk.Host {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.impl
}

func (h *hostServer) PostReply(ctx context.Context, req *channelv1.PostReplyRequest) (*channelv1.PostReplyResponse, error) {
	res, err := h.get().PostReply(ctx, replyFromProto(req.GetReply()))
	if err != nil {
		return nil, codec.ToStatus(err, nil)
	}
	return &channelv1.PostReplyResponse{Duplicate: res.Duplicate, ConversationId: res.ConversationID}, nil
}

func (h *hostServer) PostAction(ctx context.Context, req *channelv1.PostActionRequest) (*channelv1.PostActionResponse, error) {
	res, err := h.get().PostAction(ctx, actionFromProto(req.GetAction()))
	if err != nil {
		return nil, codec.ToStatus(err, nil)
	}
	return &channelv1.PostActionResponse{
		Duplicate: res.Duplicate, ConversationId: res.ConversationID, State: string(res.State), Changed: res.Changed,
	}, nil
}

func (h *hostServer) OpenFile(req *channelv1.OpenFileRequest, stream channelv1.Host_OpenFileServer) error {
	rc, info, err := h.get().OpenFile(stream.Context(), req.GetFileRef())
	if err != nil {
		return codec.ToStatus(err, nil)
	}
	defer rc.Close()
	return wire.SendChunks(rc, wire.FileMeta(info), stream.Send)
}
