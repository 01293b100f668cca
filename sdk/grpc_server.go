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
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fileChunkSize is the size of the data in one streamed FileChunk: well
// below gRPC's default 4 MiB message limit.
const fileChunkSize = 256 << 10

type channelServer struct {
	channelv1.UnimplementedChannelServer
	impl   Channel
	broker *plugin.GRPCBroker
	logger hclog.Logger

	mu           sync.Mutex
	scrubber     *secretScrubber
	host         *hostClient
	hostBrokerID uint32
}

func (s *channelServer) scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrubber.scrub(text)
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
		return nil, toStatus(err, s.scrub)
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
		return nil, toStatus(err, s.scrub)
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
	s.scrubber = &secretScrubber{secrets: secrets}
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
		return nil, toStatus(err, s.scrub)
	}
	return &channelv1.DeliverResponse{ThreadRef: resp.ThreadRef, DeskMessageId: resp.DeskMessageID}, nil
}

// DeliverBatch serves a batch through the author's Deliver, item by item,
// so every plugin takes batches without writing a line for them.
func (s *channelServer) DeliverBatch(ctx context.Context, req *channelv1.DeliverBatchRequest) (*channelv1.DeliverBatchResponse, error) {
	batch := DeliverBatchRequest{
		Conversation: conversationFromProto(req.GetConversation()),
		Contact:      contactFromProto(req.GetContact()),
		ThreadRef:    req.GetThreadRef(),
		Items:        make([]BatchItem, len(req.GetItems())),
		Budget:       req.GetTimeBudget().AsDuration(),

		PreviousThreadRef: req.GetPreviousThreadRef(),
	}
	for i, it := range req.GetItems() {
		batch.Items[i] = BatchItem{Message: messageFromProto(it.GetMessage()), EditOfDeskMessageID: it.GetEditOfDeskMessageId()}
	}
	out := deliverEach(ctx, s.deliverOne, batch)
	resp := &channelv1.DeliverBatchResponse{Delivered: make([]*channelv1.DeliverResponse, len(out.Delivered))}
	for i, d := range out.Delivered {
		resp.Delivered[i] = &channelv1.DeliverResponse{ThreadRef: d.ThreadRef, DeskMessageId: d.DeskMessageID}
	}
	if out.Err != nil {
		resp.Failure = failureToProto(out.Err, s.scrub)
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
		Header: headersFromProto(req.GetHeaders()), Body: req.GetBody(), RemoteAddr: req.GetRemoteAddr(),
	})
	if err != nil {
		return nil, toStatus(err, s.scrub)
	}
	out := &channelv1.HandleWebhookResponse{Status: int32(resp.Status), Headers: headersToProto(resp.Header), Body: resp.Body}
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
		return toStatus(err, s.scrub)
	}
	defer rc.Close()
	return sendChunks(rc, info, stream.Send)
}

// sendChunks streams r as FileChunks, metadata in the first.
func sendChunks(r io.Reader, info FileInfo, send func(*channelv1.FileChunk) error) error {
	first := &channelv1.FileChunk{Name: info.Name, MimeType: info.MIMEType, Size: info.Size}
	buf := make([]byte, fileChunkSize)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			chunk := &channelv1.FileChunk{Data: append([]byte(nil), buf[:n]...)}
			if first != nil {
				first.Data, chunk = chunk.Data, first
				first = nil
			}
			if err := send(chunk); err != nil {
				return err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return status.Errorf(codes.Unavailable, "read file: %v", err)
		}
	}
	if first != nil { // empty file: still send the metadata
		return send(first)
	}
	return nil
}

// hostClient is the Host a plugin calls, over the broker connection.
type hostClient struct {
	client channelv1.HostClient
	conn   *grpc.ClientConn
}

func (h *hostClient) PostReply(ctx context.Context, r Reply) (PostReplyResult, error) {
	resp, err := h.client.PostReply(ctx, &channelv1.PostReplyRequest{Reply: replyToProto(r)})
	if err != nil {
		return PostReplyResult{}, fromStatus(err)
	}
	return PostReplyResult{Duplicate: resp.GetDuplicate(), ConversationID: resp.GetConversationId()}, nil
}

func (h *hostClient) PostAction(ctx context.Context, a Action) (ActionResult, error) {
	resp, err := h.client.PostAction(ctx, &channelv1.PostActionRequest{Action: actionToProto(a)})
	if err != nil {
		return ActionResult{}, fromStatus(err)
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
		return nil, FileInfo{}, fromStatus(err)
	}
	return openChunkStream(stream.Recv, cancel)
}

// openChunkStream reads the first chunk (the metadata) and returns a
// reader over the rest.
func openChunkStream(recv func() (*channelv1.FileChunk, error), cancel context.CancelFunc) (io.ReadCloser, FileInfo, error) {
	first, err := recv()
	if err != nil {
		cancel()
		if err == io.EOF {
			return nil, FileInfo{}, fmt.Errorf("file stream ended before its metadata")
		}
		return nil, FileInfo{}, fromStatus(err)
	}
	info := FileInfo{Name: first.GetName(), MIMEType: first.GetMimeType(), Size: first.GetSize()}
	return &chunkReader{recv: recv, cancel: cancel, buf: first.GetData()}, info, nil
}

type chunkReader struct {
	recv   func() (*channelv1.FileChunk, error)
	cancel context.CancelFunc
	buf    []byte
	err    error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		chunk, err := c.recv()
		if err != nil {
			if err == io.EOF {
				c.err = io.EOF
			} else {
				c.err = fromStatus(err)
			}
			continue
		}
		c.buf = chunk.GetData()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *chunkReader) Close() error {
	c.cancel()
	return nil
}
