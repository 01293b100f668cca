package sdk

// The plugin side of the protocol: a gRPC Channel server wrapping the
// author's Channel, and a Host client the channel calls back through.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"sync"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"github.com/parley-dev/parley/sdk/internal/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type channelServer struct {
	channelv1.UnimplementedChannelServer
	impl   Channel
	broker *plugin.GRPCBroker
	logger hclog.Logger

	mu           sync.Mutex
	scrubber     *wire.Scrubber
	host         *hostClient
	hostBrokerID uint32
}

func (s *channelServer) scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrubber.Scrub(text)
}

// recoverPanic turns a panic in the author's code into an Internal error
// instead of killing the plugin process mid-call.
func (s *channelServer) recoverPanic(method string, err *error) {
	if r := recover(); r != nil {
		s.logger.Error("plugin panicked", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "plugin panicked in %s: %s", method, s.scrub(fmt.Sprint(r)))
	}
}

func (s *channelServer) Describe(ctx context.Context, _ *channelv1.DescribeRequest) (_ *channelv1.DescribeResponse, err error) {
	defer s.recoverPanic("Describe", &err)
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, codec.ToStatus(err, s.scrub)
	}
	p := describeToProto(d)
	p.Capabilities.DeliverBatch = true
	return p, nil
}

func (s *channelServer) Configure(ctx context.Context, req *channelv1.ConfigureRequest) (_ *channelv1.ConfigureResponse, err error) {
	defer s.recoverPanic("Configure", &err)
	s.learnSecrets(ctx, req.GetConfigJson())
	var host Host
	s.mu.Lock()
	if s.host != nil && s.hostBrokerID == req.GetHostBrokerId() {
		// The host serves one broker id per plugin process and go-plugin
		// answers one dial per id: a second Configure reuses the connection.
		host = s.host
	}
	s.mu.Unlock()
	if id := req.GetHostBrokerId(); host == nil && id != 0 && s.broker != nil {
		conn, err := s.broker.Dial(id)
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "dial host: %v", err)
		}
		hc := &hostClient{client: channelv1.NewHostClient(conn), conn: conn}
		s.mu.Lock()
		old := s.host
		s.host = hc
		s.hostBrokerID = id
		s.mu.Unlock()
		if old != nil {
			_ = old.conn.Close()
		}
		host = hc
	}
	resp, err := s.impl.Configure(ctx, ConfigureRequest{
		ChannelName: req.GetChannelName(),
		Config:      json.RawMessage(req.GetConfigJson()),
		HookBaseURL: req.GetHookBaseUrl(),
		Host:        host,
		Logger:      s.logger,
	})
	if err != nil {
		return nil, codec.ToStatus(err, s.scrub)
	}
	out := &channelv1.ConfigureResponse{}
	for _, e := range resp.Errors {
		out.Errors = append(out.Errors, &channelv1.ConfigError{Key: e.Key, Message: s.scrub(e.Message)})
	}
	return out, nil
}

// learnSecrets remembers the values of config keys the channel marks as
// secret, so no error message carries them across the boundary.
func (s *channelServer) learnSecrets(ctx context.Context, raw []byte) {
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return
	}
	var cfg map[string]any
	if json.Unmarshal(raw, &cfg) != nil {
		return
	}
	var secrets []string
	for _, k := range d.ConfigKeys {
		if v, ok := cfg[k.Name].(string); k.Secret && ok && len(v) >= 4 {
			secrets = append(secrets, v)
		}
	}
	s.mu.Lock()
	s.scrubber = &wire.Scrubber{Secrets: secrets}
	s.mu.Unlock()
}

func (s *channelServer) Deliver(ctx context.Context, req *channelv1.DeliverRequest) (*channelv1.DeliverResponse, error) {
	resp, err := s.deliverOne(ctx, DeliverRequest{
		Conversation:        conversationFromProto(req.GetConversation()),
		Contact:             contactFromProto(req.GetContact()),
		Message:             messageFromProto(req.GetMessage()),
		ThreadRef:           req.GetThreadRef(),
		EditOfDeskMessageID: req.GetEditOfDeskMessageId(),
		PreviousThreadRef:   req.GetPreviousThreadRef(),
	})
	if err != nil {
		return nil, codec.ToStatus(err, s.scrub)
	}
	return &channelv1.DeliverResponse{ThreadRef: resp.ThreadRef, DeskMessageId: resp.DeskMessageID}, nil
}

// DeliverBatch serves a batch through the author's Deliver, item by item,
// so every plugin takes batches without writing a line for them.
func (s *channelServer) DeliverBatch(ctx context.Context, req *channelv1.DeliverBatchRequest) (*channelv1.DeliverBatchResponse, error) {
	conv, contact := conversationFromProto(req.GetConversation()), contactFromProto(req.GetContact())
	items := req.GetItems()
	done, err := wire.DeliverEach(ctx, len(items), req.GetTimeBudget().AsDuration(), req.GetThreadRef(),
		func(ctx context.Context, i int, ref []byte) (DeliverResponse, []byte, error) {
			resp, err := s.deliverOne(ctx, DeliverRequest{
				Conversation: conv, Contact: contact, Message: messageFromProto(items[i].GetMessage()),
				ThreadRef: ref, EditOfDeskMessageID: items[i].GetEditOfDeskMessageId(),
				PreviousThreadRef: wire.Previous(i, req.GetPreviousThreadRef()),
			})
			return resp, resp.ThreadRef, err
		})
	resp := &channelv1.DeliverBatchResponse{Delivered: make([]*channelv1.DeliverResponse, len(done))}
	for i, d := range done {
		resp.Delivered[i] = &channelv1.DeliverResponse{ThreadRef: d.ThreadRef, DeskMessageId: d.DeskMessageID}
	}
	if err != nil {
		resp.Failure = codec.FailureToProto(err, s.scrub)
	}
	return resp, nil
}

// deliverOne calls the author's Deliver, a panic becoming an Internal
// error: in a batch it fails that item only, so the items delivered before
// it are still reported.
func (s *channelServer) deliverOne(ctx context.Context, req DeliverRequest) (_ DeliverResponse, err error) {
	defer s.recoverPanic("Deliver", &err)
	return s.impl.Deliver(ctx, req)
}

func (s *channelServer) HandleWebhook(ctx context.Context, req *channelv1.HandleWebhookRequest) (_ *channelv1.HandleWebhookResponse, err error) {
	defer s.recoverPanic("HandleWebhook", &err)
	resp, err := s.impl.HandleWebhook(ctx, WebhookRequest{
		Method: req.GetMethod(), Path: req.GetPath(), RawQuery: req.GetRawQuery(),
		Header: wire.HeadersFromProto(req.GetHeaders()), Body: req.GetBody(), RemoteAddr: req.GetRemoteAddr(),
	})
	if err != nil {
		return nil, codec.ToStatus(err, s.scrub)
	}
	out := &channelv1.HandleWebhookResponse{Status: int32(resp.Status), Headers: wire.HeadersToProto(resp.Header), Body: resp.Body}
	for _, a := range resp.Actions {
		out.Actions = append(out.Actions, actionToProto(a))
	}
	for _, r := range resp.Replies {
		out.Replies = append(out.Replies, replyToProto(r))
	}
	return out, nil
}

func (s *channelServer) OpenAttachment(req *channelv1.OpenAttachmentRequest, stream channelv1.Channel_OpenAttachmentServer) (err error) {
	defer s.recoverPanic("OpenAttachment", &err)
	opener, ok := s.impl.(AttachmentOpener)
	if !ok {
		return status.Error(codes.Unimplemented, "this channel does not serve reply attachments")
	}
	rc, info, err := opener.OpenAttachment(stream.Context(), req.GetRef())
	if err != nil {
		return codec.ToStatus(err, s.scrub)
	}
	defer rc.Close()
	return wire.SendChunks(rc, wire.FileMeta(info), stream.Send)
}

// hostClient is the Host a plugin calls, over the broker connection.
type hostClient struct {
	client channelv1.HostClient
	conn   *grpc.ClientConn
}

func (h *hostClient) PostReply(ctx context.Context, r Reply) (PostReplyResult, error) {
	resp, err := h.client.PostReply(ctx, &channelv1.PostReplyRequest{Reply: replyToProto(r)})
	if err != nil {
		return PostReplyResult{}, codec.FromStatus(err)
	}
	return PostReplyResult{Duplicate: resp.GetDuplicate(), ConversationID: resp.GetConversationId()}, nil
}

func (h *hostClient) PostAction(ctx context.Context, a Action) (ActionResult, error) {
	resp, err := h.client.PostAction(ctx, &channelv1.PostActionRequest{Action: actionToProto(a)})
	if err != nil {
		return ActionResult{}, codec.FromStatus(err)
	}
	return ActionResult{
		Duplicate: resp.GetDuplicate(), ConversationID: resp.GetConversationId(),
		State: ConversationState(resp.GetState()), Changed: resp.GetChanged(),
	}, nil
}

func (h *hostClient) OpenFile(ctx context.Context, fileRef string) (io.ReadCloser, FileInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := h.client.OpenFile(ctx, &channelv1.OpenFileRequest{FileRef: fileRef})
	if err != nil {
		cancel()
		return nil, FileInfo{}, codec.FromStatus(err)
	}
	rc, info, err := codec.OpenChunkStream(stream.Recv, cancel)
	return rc, FileInfo(info), err
}
