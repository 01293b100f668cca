package plugintest_test

import (
	"context"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestRecordingHostPostReply(t *testing.T) {
	h := plugintest.NewRecordingHost()
	ctx := context.Background()
	r1, err := h.PostReply(ctx, sdk.Reply{ThreadRef: []byte("t1"), ExternalID: "a", Text: "one"})
	if err != nil || r1.Duplicate || r1.ConversationID == "" {
		t.Fatalf("first reply: %+v %v", r1, err)
	}
	r2, _ := h.PostReply(ctx, sdk.Reply{ThreadRef: []byte("t1"), ExternalID: "a", Text: "one again"})
	if !r2.Duplicate || r2.ConversationID != r1.ConversationID {
		t.Errorf("repeat of ExternalID a: %+v, want duplicate in %s", r2, r1.ConversationID)
	}
	r3, _ := h.PostReply(ctx, sdk.Reply{ThreadRef: []byte("t2"), ExternalID: "b"})
	if r3.ConversationID == r1.ConversationID {
		t.Error("two threads share a conversation id")
	}
	r4, _ := h.PostReply(ctx, sdk.Reply{ConversationID: "conv-x", ExternalID: "c"})
	if r4.ConversationID != "conv-x" {
		t.Errorf("explicit conversation id became %q", r4.ConversationID)
	}
	if _, err := h.PostReply(ctx, sdk.Reply{ExternalID: "d"}); !sdk.IsPermanent(err) {
		t.Errorf("reply with no thread: %v, want a permanent error", err)
	}
	if got := h.Replies(); len(got) != 3 || got[0].Text != "one" {
		t.Errorf("recorded %+v", got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.PostReply(cancelled, sdk.Reply{ConversationID: "c", ExternalID: "e"}); err == nil {
		t.Error("PostReply with a cancelled context succeeded")
	}
}

func TestRecordingHostWaitReplies(t *testing.T) {
	h := plugintest.NewRecordingHost()
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 5 * time.Millisecond) // stagger: replies trickle in while AssertReplies waits
			_, _ = h.PostReply(context.Background(), sdk.Reply{ConversationID: "c", ExternalID: string(rune('a' + i))})
		}()
	}
	got := plugintest.AssertReplies(t, h, 5, 5*time.Second)
	wg.Wait()
	if len(got) != 5 {
		t.Errorf("got %d replies", len(got))
	}
	if _, err := h.WaitReplies(6, 50*time.Millisecond); err == nil {
		t.Error("waiting for a sixth reply did not time out")
	}
}

func TestRecordingHostFiles(t *testing.T) {
	h := plugintest.NewRecordingHost()
	h.AddFile("f1", "a.txt", "text/plain", []byte("hello"))
	rc, info, err := h.OpenFile(context.Background(), "f1")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	if string(data) != "hello" || info != (sdk.FileInfo{Name: "a.txt", MIMEType: "text/plain", Size: 5}) {
		t.Errorf("got %q %+v", data, info)
	}
	if _, _, err := h.OpenFile(context.Background(), "nope"); !sdk.IsPermanent(err) {
		t.Errorf("unknown file: %v", err)
	}
}

// TestHarnessHostCallbacks checks the RecordingHost is reachable from the
// plugin side through the real broker: PostReply and OpenFile.
func TestHarnessHostCallbacks(t *testing.T) {
	ch := &callbackChannel{}
	h := plugintest.Serve(t, ch)
	plugintest.AssertConfigured(t, h.Configure(t, nil))
	resp, err := h.Channel.Deliver(context.Background(), plugintest.SampleDeliver(plugintest.SampleMessages()[1], nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.DeskMessageID == "" {
		t.Error("the plugin could not read the photo through Host.OpenFile")
	}
	replies := plugintest.AssertReplies(t, h.Host, 1, 5*time.Second)
	if replies[0].Text != "got "+resp.DeskMessageID {
		t.Errorf("reply %+v", replies[0])
	}
}

// callbackChannel reads each delivered attachment from the host and posts
// a reply saying how many bytes it got.
type callbackChannel struct {
	mu   sync.Mutex
	host sdk.Host
}

func (c *callbackChannel) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "callback", Version: "1"}, nil
}

func (c *callbackChannel) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	c.mu.Lock()
	c.host = req.Host
	c.mu.Unlock()
	return sdk.ConfigureResponse{}, nil
}

func (c *callbackChannel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	c.mu.Lock()
	host := c.host
	c.mu.Unlock()
	rc, _, err := host.OpenFile(ctx, req.Message.Attachments[0].FileRef)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	id := strconv.FormatInt(n, 10) + " bytes"
	if _, err := host.PostReply(ctx, sdk.Reply{ThreadRef: []byte("t"), ExternalID: "r", Text: "got " + id}); err != nil {
		return sdk.DeliverResponse{}, err
	}
	return sdk.DeliverResponse{ThreadRef: []byte("t"), DeskMessageID: id}, nil
}

func (c *callbackChannel) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: 404}, nil
}

// Reactions, deletes, typing and transfers are recorded like lifecycle
// actions (once per id) and leave the state as it was.
func TestRecordingHostRecordsMessageActions(t *testing.T) {
	h := plugintest.NewRecordingHost()
	ctx := context.Background()
	if _, err := h.PostAction(ctx, sdk.Action{Kind: sdk.ActionClaim, ConversationID: "c1", ExternalID: "a0"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []sdk.Action{
		{Kind: sdk.ActionReact, ConversationID: "c1", ExternalID: "a1", DeskMessageID: "171.2", Emoji: "👍"},
		{Kind: sdk.ActionDelete, ConversationID: "c1", ExternalID: "a2", ReplyExternalID: "171.3"},
		{Kind: sdk.ActionTyping, ConversationID: "c1", ExternalID: "a3"},
		{Kind: sdk.ActionTransfer, ConversationID: "c1", ExternalID: "a4", Channels: []string{"helpscout"}},
	} {
		res, err := h.PostAction(ctx, a)
		if err != nil || !res.Changed || res.State != sdk.StateClaimed {
			t.Errorf("%s: %+v, %v; want changed, still claimed", a.Kind, res, err)
		}
	}
	if res, _ := h.PostAction(ctx, sdk.Action{Kind: sdk.ActionReact, ConversationID: "c1", ExternalID: "a1"}); !res.Duplicate {
		t.Errorf("a repeated id: %+v, want a duplicate", res)
	}
	if n := len(h.Actions()); n != 5 {
		t.Errorf("%d actions recorded, want 5", n)
	}
}
