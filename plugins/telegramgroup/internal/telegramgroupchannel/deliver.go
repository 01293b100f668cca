package telegramgroupchannel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// Deliver implements [sdk.Channel]: the first message of a conversation
// opens its topic with the header; every message, file and notice is
// posted in the topic.
func (c *Channel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	st, err := c.state.Get()
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return sdk.DeliverResponse{}, err
	}
	d := &delivery{c: c, st: st, req: req}
	ref, ok := parseRef(req.ThreadRef)
	if !ok || ref.Group != st.cfg.GroupID {
		if ref, err = d.openTopic(ctx); err != nil {
			return sdk.DeliverResponse{}, err
		}
	}
	d.ref = ref
	id, err := d.post(ctx)
	if is(err, "message thread not found") && !d.committed {
		// An agent deleted the topic: the conversation goes on in a new one.
		st.log.Info("the conversation's topic is gone; opening a new one", "topic", ref.Topic)
		if d.ref, err = d.openTopic(ctx); err != nil {
			return sdk.DeliverResponse{}, err
		}
		id, err = d.post(ctx)
	}
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	c.topics.forget(req.Conversation.ID)
	return sdk.DeliverResponse{ThreadRef: d.ref.encode(), DeskMessageID: id}, nil
}

// delivery is one Deliver call in progress.
type delivery struct {
	c   *Channel
	st  *state
	req sdk.DeliverRequest
	ref threadRef
	// committed is set once something reached the group: later calls wait
	// out rate limits instead of having the host repeat the delivery.
	committed bool
}

// openTopic creates the conversation's topic and posts the header. A
// topic made by an earlier attempt whose delivery then failed is reused.
func (d *delivery) openTopic(ctx context.Context) (threadRef, error) {
	st, conv := d.st, d.req.Conversation
	t, ok := d.c.topics.get(conv.ID)
	if !ok || t.ref.Group != st.cfg.GroupID {
		closed := d.req.Message.Kind == sdk.KindNotice && conv.State == sdk.StateClosed
		var topic *telego.ForumTopic
		err := st.call(ctx, "createForumTopic", d.committed, func(ctx context.Context) (err error) {
			topic, err = st.bot.CreateForumTopic(ctx, &telego.CreateForumTopicParams{
				ChatID: st.chat(), Name: topicName(conv, d.req.Contact, closed)})
			return err
		})
		if err != nil {
			return threadRef{}, err
		}
		t = newTopic{ref: threadRef{Group: st.cfg.GroupID, Topic: topic.MessageThreadID}}
		d.committed = true
		d.c.topics.put(conv.ID, t)
	}
	d.ref = t.ref
	if !t.header {
		if _, err := d.send(ctx, header(st, conv, d.req.Contact, d.req.PreviousThreadRef)); err != nil {
			return threadRef{}, err
		}
		t.header = true
		d.c.topics.put(conv.ID, t)
	}
	return t.ref, nil
}

// post puts the message in the topic and returns the desk id of the
// message holding its text.
func (d *delivery) post(ctx context.Context) (string, error) {
	m := d.req.Message
	switch {
	case m.Kind == sdk.KindNotice && m.Notice != nil:
		return d.notice(ctx, m.Notice)
	case m.EditOf != "" && d.req.EditOfDeskMessageID != "":
		return d.edit(ctx)
	}
	text := body(m)
	var lines string
	var uploads []sdk.Attachment
	for _, a := range m.Attachments {
		if d.st.cfg.UploadFiles && d.st.host != nil && a.FileRef != "" && !a.TooLarge {
			uploads = append(uploads, a)
		} else {
			lines = joinLines(lines, fileLine(a))
		}
	}
	text = joinLines(text, lines)
	first := ""
	for i, a := range uploads {
		caption := ""
		if i == len(uploads)-1 && fits(text) && captionable(a.Kind) {
			caption, text = text, ""
		}
		id, err := d.upload(ctx, a, caption)
		if err != nil {
			return "", err
		}
		if first == "" {
			first = id
		}
	}
	for _, p := range parts(text, maxText) {
		id, err := d.send(ctx, p)
		if err != nil {
			return "", err
		}
		if first == "" {
			first = id
		}
	}
	if first == "" {
		// Nothing to show (an empty message): still one line, so the
		// delivery has a desk id and the agent sees something arrived.
		return d.send(ctx, "<i>(an empty message)</i>")
	}
	return first, nil
}

// captionable is false for the kinds Telegram shows without a caption.
func captionable(kind string) bool { return kind != "sticker" && kind != "video_note" }

// send posts one HTML message in the topic.
func (d *delivery) send(ctx context.Context, html string) (string, error) {
	st := d.st
	var msg *telego.Message
	err := st.call(ctx, "sendMessage", d.committed, func(ctx context.Context) (err error) {
		msg, err = st.bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: st.chat(), MessageThreadID: d.ref.Topic,
			Text: html, ParseMode: telego.ModeHTML, LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true}})
		return err
	})
	if err != nil {
		return "", err
	}
	d.committed = true
	return strconv.Itoa(msg.MessageID), nil
}

// maxUpload is what a bot may upload (50 MB); Telegram's downloads for
// bots stop at 20 MB, so a customer's file always fits.
const maxUpload = 50 << 20

// upload streams a customer's file from the host into the topic, as the
// kind it was so agents see photos, voice and stickers inline. A file
// Telegram refuses in that shape is sent again as a document.
func (d *delivery) upload(ctx context.Context, a sdk.Attachment, caption string) (string, error) {
	st := d.st
	rc, info, err := st.host.OpenFile(ctx, a.FileRef)
	if err != nil && sdk.IsPermanent(err) && ctx.Err() == nil {
		// The host cannot serve the file (gone, refused by Telegram): the
		// agent still sees that it came, as its link or alert.
		st.log.Info("the host could not serve a file; posting it as a link", "kind", a.Kind, "error", err)
		return d.send(ctx, joinLines(caption, fileLine(a)))
	}
	if err != nil {
		return "", fmt.Errorf("open %s: %w", a.Kind, err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxUpload+1))
	rc.Close()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", a.Kind, err)
	}
	name := firstNonEmpty(a.Name, info.Name, defaultName(a.Kind))
	if len(data) == 0 || len(data) > maxUpload {
		id, err := d.send(ctx, joinLines(fileLine(sdk.Attachment{Name: name, Size: int64(len(data)), TooLarge: true}), caption))
		return id, err
	}
	kind := a.Kind
	if kind == "photo" && len(data) > 10<<20 {
		kind = "document" // sendPhoto takes at most 10 MB
	}
	id, err := d.sendFile(ctx, kind, name, data, caption)
	if err != nil && kind != "document" && sdk.IsPermanent(err) && !errors.Is(err, context.Canceled) {
		st.log.Info("Telegram refused the file as "+kind+"; sending it as a document", "error", err)
		id, err = d.sendFile(ctx, "document", name, data, caption)
	}
	return id, err
}

func defaultName(kind string) string {
	switch kind {
	case "photo":
		return "photo.jpg"
	case "voice":
		return "voice.ogg"
	case "sticker":
		return "sticker.webp"
	case "video", "video_note", "animation":
		return kind + ".mp4"
	}
	return "file"
}

// sendFile uploads data with the Bot API method for kind.
func (d *delivery) sendFile(ctx context.Context, kind, name string, data []byte, caption string) (string, error) {
	st := d.st
	chat, topic := st.chat(), d.ref.Topic
	mode := ""
	if caption != "" {
		mode = telego.ModeHTML
	}
	method := "send" + kind
	var msg *telego.Message
	err := st.call(ctx, method, d.committed, func(ctx context.Context) (err error) {
		f := telego.InputFile{File: &namedReader{Reader: bytes.NewReader(data), name: name}}
		switch kind {
		case "photo":
			msg, err = st.bot.SendPhoto(ctx, &telego.SendPhotoParams{ChatID: chat, MessageThreadID: topic, Photo: f, Caption: caption, ParseMode: mode})
		case "voice":
			msg, err = st.bot.SendVoice(ctx, &telego.SendVoiceParams{ChatID: chat, MessageThreadID: topic, Voice: f, Caption: caption, ParseMode: mode})
		case "audio":
			msg, err = st.bot.SendAudio(ctx, &telego.SendAudioParams{ChatID: chat, MessageThreadID: topic, Audio: f, Caption: caption, ParseMode: mode})
		case "video":
			msg, err = st.bot.SendVideo(ctx, &telego.SendVideoParams{ChatID: chat, MessageThreadID: topic, Video: f, Caption: caption, ParseMode: mode})
		case "animation":
			msg, err = st.bot.SendAnimation(ctx, &telego.SendAnimationParams{ChatID: chat, MessageThreadID: topic, Animation: f, Caption: caption, ParseMode: mode})
		case "video_note":
			msg, err = st.bot.SendVideoNote(ctx, &telego.SendVideoNoteParams{ChatID: chat, MessageThreadID: topic, VideoNote: f})
		case "sticker":
			msg, err = st.bot.SendSticker(ctx, &telego.SendStickerParams{ChatID: chat, MessageThreadID: topic, Sticker: f})
		default:
			msg, err = st.bot.SendDocument(ctx, &telego.SendDocumentParams{ChatID: chat, MessageThreadID: topic, Document: f, Caption: caption, ParseMode: mode})
		}
		return err
	})
	if err != nil {
		return "", err
	}
	d.committed = true
	return strconv.Itoa(msg.MessageID), nil
}

// edit shows a customer's edit where the original sits: the staff bot
// edits its copy. When that copy cannot take it (a file's caption, past
// Telegram's window) the edit is posted as an answer to the original.
func (d *delivery) edit(ctx context.Context) (string, error) {
	st := d.st
	orig, err := strconv.Atoi(d.req.EditOfDeskMessageID)
	text := body(d.req.Message)
	if err == nil && fits(text) {
		err = st.call(ctx, "editMessageText", false, func(ctx context.Context) error {
			_, err := st.bot.EditMessageText(ctx, &telego.EditMessageTextParams{ChatID: st.chat(), MessageID: orig,
				Text: text, ParseMode: telego.ModeHTML, LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true}})
			return err
		})
		if err == nil || is(err, "message is not modified") {
			return d.req.EditOfDeskMessageID, nil
		}
		if !sdk.IsPermanent(err) {
			return "", err
		}
		st.log.Info("cannot edit the copy in the group; posting the edit as an answer", "message_id", orig, "error", err)
	}
	return d.send(ctx, text)
}

// chat is the group as telego's ChatID.
func (st *state) chat() telego.ChatID { return telego.ChatID{ID: st.cfg.GroupID} }

// namedReader gives an upload its file name.
type namedReader struct {
	io.Reader
	name string
}

func (n *namedReader) Name() string { return n.name }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// topicCache maps conversation ids to topics created for them whose first
// delivery has not completed, bounded; a restart forgets it, which at
// worst leaves an empty topic behind.
type topicCache struct {
	mu    sync.Mutex
	max   int
	order []string
	refs  map[string]newTopic
}

// newTopic is a topic being opened: header is set once its header is in.
type newTopic struct {
	ref    threadRef
	header bool
}

func newTopicCache(max int) *topicCache { return &topicCache{max: max, refs: map[string]newTopic{}} }

func (t *topicCache) get(conv string) (newTopic, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.refs[conv]
	return r, ok && conv != ""
}

func (t *topicCache) put(conv string, r newTopic) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.refs[conv]; !ok {
		t.order = append(t.order, conv)
	}
	t.refs[conv] = r
	for len(t.order) > t.max {
		delete(t.refs, t.order[0])
		t.order = t.order[1:]
	}
}

func (t *topicCache) forget(conv string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.refs, conv)
}
