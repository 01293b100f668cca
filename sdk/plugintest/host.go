package plugintest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// RecordingHost is an [sdk.Host] that records every reply a plugin posts.
// It is safe for concurrent use.
type RecordingHost struct {
	mu      sync.Mutex
	replies []sdk.Reply
	actions []sdk.Action
	states  map[string]sdk.ConversationState
	acted   map[string]bool
	// changed is closed and replaced on every new reply, so waiters wake.
	changed chan struct{}
	seen    map[string]bool
	convs   map[string]string
	files   map[string]recordedFile
}

type recordedFile struct {
	info sdk.FileInfo
	data []byte
}

var _ sdk.Host = (*RecordingHost)(nil)

// NewRecordingHost returns an empty RecordingHost.
func NewRecordingHost() *RecordingHost {
	return &RecordingHost{
		changed: make(chan struct{}),
		seen:    map[string]bool{},
		convs:   map[string]string{},
		files:   map[string]recordedFile{},
		states:  map[string]sdk.ConversationState{},
		acted:   map[string]bool{},
	}
}

// conversationLocked resolves a conversation the way the host does:
// the id when set, else one id per distinct thread reference.
func (h *RecordingHost) conversationLocked(id string, threadRef []byte) string {
	if id != "" {
		return id
	}
	key := string(threadRef)
	if id = h.convs[key]; id == "" {
		id = "conv-" + strconv.Itoa(len(h.convs)+1)
		h.convs[key] = id
	}
	return id
}

// PostAction records a. Like the real host it applies an action once per
// ExternalID and keeps each conversation's state: claim and unclaim of a
// closed conversation, closing a closed one and reopening an open one
// change nothing (Changed is false). React, delete, typing and transfer
// are recorded and answer Changed with the state as it was.
func (h *RecordingHost) PostAction(ctx context.Context, a sdk.Action) (sdk.ActionResult, error) {
	if err := ctx.Err(); err != nil {
		return sdk.ActionResult{}, err
	}
	if a.ConversationID == "" && len(a.ThreadRef) == 0 {
		return sdk.ActionResult{}, sdk.Permanent(fmt.Errorf("action %q has neither a thread ref nor a conversation id", a.ExternalID))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	conv := h.conversationLocked(a.ConversationID, a.ThreadRef)
	state := h.states[conv]
	if state == "" {
		state = sdk.StateOpen
	}
	if a.ExternalID != "" && h.acted[a.ExternalID] {
		return sdk.ActionResult{Duplicate: true, ConversationID: conv, State: state}, nil
	}
	next, changed := state, true
	switch a.Kind {
	case sdk.ActionReact, sdk.ActionDelete, sdk.ActionTyping, sdk.ActionTransfer:
		// They act on messages or routing, not on the state: recorded, and
		// taken as done.
	default:
		var err error
		if next, err = sdk.NextState(state, a.Kind); err != nil {
			return sdk.ActionResult{}, sdk.Permanent(err)
		}
		changed = next != state
	}
	if a.ExternalID != "" {
		h.acted[a.ExternalID] = true
	}
	a.ThreadRef = bytes.Clone(a.ThreadRef)
	h.actions = append(h.actions, a)
	h.states[conv] = next
	close(h.changed)
	h.changed = make(chan struct{})
	return sdk.ActionResult{ConversationID: conv, State: next, Changed: changed}, nil
}

// Actions returns a copy of the actions recorded so far, in order.
func (h *RecordingHost) Actions() []sdk.Action {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sdk.Action(nil), h.actions...)
}

// PostReply records r. Like the real host it stores a reply once per
// ExternalID (a repeat answers Duplicate) and resolves the conversation:
// r.ConversationID when set, else an id assigned per distinct ThreadRef.
func (h *RecordingHost) PostReply(ctx context.Context, r sdk.Reply) (sdk.PostReplyResult, error) {
	if err := ctx.Err(); err != nil {
		return sdk.PostReplyResult{}, err
	}
	if r.ConversationID == "" && len(r.ThreadRef) == 0 {
		return sdk.PostReplyResult{}, sdk.Permanent(fmt.Errorf("reply %q has neither a thread ref nor a conversation id", r.ExternalID))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	conv := h.conversationLocked(r.ConversationID, r.ThreadRef)
	if r.ExternalID != "" && h.seen[r.ExternalID] {
		return sdk.PostReplyResult{Duplicate: true, ConversationID: conv}, nil
	}
	if r.ExternalID != "" {
		h.seen[r.ExternalID] = true
	}
	h.replies = append(h.replies, cloneReply(r))
	close(h.changed)
	h.changed = make(chan struct{})
	return sdk.PostReplyResult{ConversationID: conv}, nil
}

func cloneReply(r sdk.Reply) sdk.Reply {
	r.ThreadRef = bytes.Clone(r.ThreadRef)
	r.Attachments = append([]sdk.ReplyAttachment(nil), r.Attachments...)
	return r
}

// Replies returns a copy of the replies recorded so far, in order.
func (h *RecordingHost) Replies() []sdk.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]sdk.Reply, len(h.replies))
	for i, r := range h.replies {
		out[i] = cloneReply(r)
	}
	return out
}

// Record adds replies a plugin returned from HandleWebhook, so a test can
// treat replies the same whichever way they reached the host.
func (h *RecordingHost) Record(ctx context.Context, replies ...sdk.Reply) error {
	for _, r := range replies {
		if _, err := h.PostReply(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// WaitReplies waits until at least n replies are recorded and returns them,
// or fails after timeout with the replies seen so far.
func (h *RecordingHost) WaitReplies(n int, timeout time.Duration) ([]sdk.Reply, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		got, changed := len(h.replies), h.changed
		h.mu.Unlock()
		if got >= n {
			return h.Replies(), nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return h.Replies(), fmt.Errorf("got %d replies after %v, want %d", got, timeout, n)
		}
	}
}

// Reset forgets every recorded reply (registered files stay).
func (h *RecordingHost) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replies = nil
	h.seen = map[string]bool{}
}

// AddFile registers a file that OpenFile serves under ref.
func (h *RecordingHost) AddFile(ref, name, mime string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files[ref] = recordedFile{info: sdk.FileInfo{Name: name, MIMEType: mime, Size: int64(len(data))}, data: bytes.Clone(data)}
}

// OpenFile serves a file registered with AddFile; an unknown ref is a
// permanent error, as the real host answers for a file it does not know.
func (h *RecordingHost) OpenFile(ctx context.Context, ref string) (io.ReadCloser, sdk.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, sdk.FileInfo{}, err
	}
	h.mu.Lock()
	f, ok := h.files[ref]
	h.mu.Unlock()
	if !ok {
		return nil, sdk.FileInfo{}, sdk.Permanent(fmt.Errorf("no file %q", ref))
	}
	return io.NopCloser(bytes.NewReader(f.data)), f.info, nil
}
