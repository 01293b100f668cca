package helpscoutchannel

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/parley-dev/parley/plugins/helpscout/internal/hsapi"
	"github.com/parley-dev/parley/sdk"
)

// webConversationURL is where an agent opens a conversation in Help Scout.
const webConversationURL = "https://secure.helpscout.net/conversation/"

// Deliver posts one Telegram message. The first message of a conversation
// creates a Help Scout conversation (its id is the thread_ref), with a note
// linking the customer's previous conversation when it follows a closed
// one; later ones are customer threads on it, which reopen it if it was
// closed. Lifecycle notices set the status or add a note (lifecycle.go). When the
// conversation was merged, Deliver follows the merge; when it is gone or
// full (Help Scout's thread cap), it starts a new conversation linking the
// old one and returns the new thread_ref, so nothing is dropped.
func (c *Channel) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	st, err := c.st.Get()
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	if req.Message.Kind == sdk.KindNotice && isLifecycle(req.Message.Notice) {
		return c.deliverLifecycle(ctx, st, req)
	}
	b := compose(ctx, st, req.Message)
	if len(req.ThreadRef) == 0 {
		// A retried first delivery whose answer was lost must not open a
		// second conversation.
		if id, ok := getFrom(st.cache, st.cache.created, req.Message.ID); ok && req.Message.ID != "" {
			return sdk.DeliverResponse{ThreadRef: formatID(id)}, nil
		}
		custID, err := c.customer(ctx, st, req.Contact)
		if err != nil {
			return sdk.DeliverResponse{}, classify(err)
		}
		resp, err := c.startConversation(ctx, st, req, b, custID, 0)
		if err == nil && len(req.PreviousThreadRef) > 0 {
			c.linkPrevious(ctx, st, convID(resp.ThreadRef), req.PreviousThreadRef)
		}
		return resp, err
	}
	convID, err := parseRef(req.ThreadRef)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	custID, target, err := c.conversationCustomer(ctx, st, convID)
	if hsapi.StatusOf(err) == http.StatusNotFound {
		custID, err = c.customer(ctx, st, req.Contact)
		if err != nil {
			return sdk.DeliverResponse{}, classify(err)
		}
		return c.startConversation(ctx, st, req, b, custID, convID)
	}
	if err != nil {
		return sdk.DeliverResponse{}, classify(err)
	}
	threadID, err := c.addThread(ctx, st, target, custID, req.Message, b)
	if hsapi.StatusOf(err) == http.StatusNotFound && target == convID {
		// Merged since we last looked: the old id answers 404 on writes and
		// 301 on reads.
		if moved, ok := c.mergedInto(ctx, st, convID); ok {
			target = moved
			threadID, err = c.addThread(ctx, st, target, custID, req.Message, b)
		}
	}
	if err == nil {
		return sdk.DeliverResponse{ThreadRef: formatID(target), DeskMessageID: strconv.FormatInt(threadID, 10)}, nil
	}
	switch hsapi.StatusOf(err) {
	case http.StatusNotFound, http.StatusPreconditionFailed:
		st.log.Info("conversation cannot take more threads; starting a new one",
			"conversation", target, "status", hsapi.StatusOf(err))
		return c.startConversation(ctx, st, req, b, custID, target)
	}
	return sdk.DeliverResponse{}, classify(err)
}

// customer finds or creates the Help Scout customer of a Telegram user.
func (c *Channel) customer(ctx context.Context, st *state, ct sdk.Contact) (int64, error) {
	if id, ok := getFrom(st.cache, st.cache.customers, ct.TelegramUserID); ok {
		return id, nil
	}
	id, err := st.api.CreateCustomer(ctx, newCustomer(ct))
	if err != nil {
		return 0, err
	}
	putIn(st.cache, st.cache.customers, ct.TelegramUserID, id)
	return id, nil
}

// conversationCustomer returns the customer of a conversation and the
// conversation to write to (another one if it was merged).
func (c *Channel) conversationCustomer(ctx context.Context, st *state, convID int64) (custID, target int64, err error) {
	if id, ok := getFrom(st.cache, st.cache.convCustomer, convID); ok {
		return id, convID, nil
	}
	target = convID
	for hop := 0; hop < 3; hop++ {
		conv, err := st.api.Conversation(ctx, target, false)
		if hsapi.StatusOf(err) == http.StatusMovedPermanently {
			next, ok := locationID(err)
			if !ok {
				return 0, 0, err
			}
			target = next
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		putIn(st.cache, st.cache.convCustomer, target, conv.PrimaryCustomer.ID)
		return conv.PrimaryCustomer.ID, target, nil
	}
	return 0, 0, fmt.Errorf("help scout: conversation %d: too many merge redirects", convID)
}

// mergedInto asks Help Scout where a conversation went.
func (c *Channel) mergedInto(ctx context.Context, st *state, convID int64) (int64, bool) {
	_, err := st.api.Conversation(ctx, convID, false)
	if hsapi.StatusOf(err) != http.StatusMovedPermanently {
		return 0, false
	}
	return locationID(err)
}

func locationID(err error) (int64, bool) {
	var e *hsapi.Error
	if !asError(err, &e) || e.Location == "" {
		return 0, false
	}
	u, perr := url.Parse(e.Location)
	if perr != nil {
		return 0, false
	}
	id, perr := strconv.ParseInt(path.Base(strings.TrimRight(u.Path, "/")), 10, 64)
	return id, perr == nil && id > 0
}

// addThread posts a customer thread (or a note, for a host notice),
// falling back to links when Help Scout refuses the upload.
func (c *Channel) addThread(ctx context.Context, st *state, convID, custID int64, m sdk.Message, b body) (int64, error) {
	post := func(text string, atts []hsapi.Attachment) (int64, error) {
		if m.Kind == sdk.KindNotice {
			return st.api.AddNote(ctx, convID, text)
		}
		return st.api.AddCustomerThread(ctx, convID, hsapi.NewThread{Customer: &hsapi.Ref{ID: custID}, Text: text, Attachments: atts})
	}
	id, err := post(b.html, b.attachments)
	if hsapi.StatusOf(err) == http.StatusRequestEntityTooLarge && len(b.attachments) > 0 {
		st.log.Warn("Help Scout refused the attachments; linking them instead", "conversation", convID)
		id, err = post(b.linksOnly, nil)
	}
	return id, err
}

// startConversation creates a conversation with the message as its first
// thread; previous, when set, is the conversation it continues.
func (c *Channel) startConversation(ctx context.Context, st *state, req sdk.DeliverRequest, b body, custID, previous int64) (sdk.DeliverResponse, error) {
	threadType := "customer"
	if req.Message.Kind == sdk.KindNotice {
		threadType = "note"
	}
	conv := hsapi.NewConversation{
		Subject: subject(req.Message, req.Contact), MailboxID: st.cfg.MailboxID, Type: "chat", Status: "active",
		Customer: hsapi.Ref{ID: custID}, Tags: conversationTags(req.Conversation, st.cfg.Tags),
	}
	if via := viaLine(req.Conversation); via != "" {
		b.html, b.linksOnly = via+"<br>"+b.html, via+"<br>"+b.linksOnly
	}
	create := func(text string, atts []hsapi.Attachment) (int64, error) {
		conv.Thread = hsapi.NewThread{Type: threadType, Customer: &hsapi.Ref{ID: custID}, Text: text, Attachments: atts}
		return st.api.CreateConversation(ctx, conv)
	}
	id, err := create(b.html, b.attachments)
	if hsapi.StatusOf(err) == http.StatusRequestEntityTooLarge && len(b.attachments) > 0 {
		id, err = create(b.linksOnly, nil)
	}
	if err != nil {
		return sdk.DeliverResponse{}, classify(err)
	}
	putIn(st.cache, st.cache.convCustomer, id, custID)
	if previous == 0 {
		putIn(st.cache, st.cache.created, req.Message.ID, id)
	} else {
		note := fmt.Sprintf(`This Telegram conversation continues <a href="%s%d">conversation %d</a>, which was merged away or is full.`,
			webConversationURL, previous, previous)
		// The message is already delivered: a missing note is logged, not
		// retried (a retry would post the message twice).
		if _, err := st.api.AddNote(ctx, id, note); err != nil {
			st.log.Warn("could not link the new conversation to the old one", "conversation", id, "previous", previous, "error", err)
		}
	}
	return sdk.DeliverResponse{ThreadRef: formatID(id)}, nil
}
