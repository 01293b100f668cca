package telegramtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/mymmrac/telego"
)

// Telegram Business: an account owner connects the bot to their account; the bot then receives
// the account's private chats as business_message updates and may answer in them with
// business_connection_id. Each connection has its own chats (a customer's chat with the account
// is not their chat with the bot, and has its own message_ids).
//
// Error texts: an unknown connection is the open-source Bot API server's "Bad Request: business
// connection not found". Telegram does not document the answers for a disabled connection or a
// missing right; the fake answers 400 "Bad Request: BUSINESS_CONNECTION_INVALID" for the first and
// 403 "Forbidden: BOT_ACCESS_FORBIDDEN" (the MTProto error for an operation a business connection
// does not allow) for the second. The MTProto rule that a customer must have written recently
// (BUSINESS_PEER_USAGE_MISSING) is not enforced: its window is not documented.

// businessConn is one business connection and its chats. A business account is a user account,
// whose private chats share one message_id sequence; that is why deleteBusinessMessages needs no
// chat_id.
type businessConn struct {
	info    telego.BusinessConnection
	chats   map[int64]*chat // by customer ID
	read    map[int64][]int // customer ID -> message_ids marked read with readBusinessMessage
	nextMsg int
}

// ConnectBusiness is Bot.ConnectBusiness for the first bot.
func (s *Server) ConnectBusiness(owner telego.User, rights telego.BusinessBotRights) telego.BusinessConnection {
	return s.first().ConnectBusiness(owner, rights)
}

// ConnectBusiness makes owner (registered if new) connect their business account to the bot with
// rights, and queues the business_connection update. The owner's private chat with the bot
// (user_chat_id) exists from then on.
func (s *Bot) ConnectBusiness(owner telego.User, rights telego.BusinessBotRights) telego.BusinessConnection {
	return s.connectBusiness(owner, rights, true)
}

// ConnectBusinessQuietly is ConnectBusiness without the business_connection update, as when the
// bot missed it: the first the bot hears of the connection is a business_message, and
// getBusinessConnection tells it the rest.
func (s *Bot) ConnectBusinessQuietly(owner telego.User, rights telego.BusinessBotRights) telego.BusinessConnection {
	return s.connectBusiness(owner, rights, false)
}

func (s *Bot) connectBusiness(owner telego.User, rights telego.BusinessBotRights, announce bool) telego.BusinessConnection {
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner.ID == 0 || owner.FirstName != "" {
		owner = s.srv.registerUserLocked(owner)
	} else if known, ok := s.state.users[owner.ID]; ok {
		owner = known
	} else {
		owner = s.srv.registerUserLocked(owner)
	}
	s.startChatLocked(owner)
	var b [18]byte
	_, _ = rand.Read(b[:])
	r := rights
	bc := &businessConn{
		info: telego.BusinessConnection{ID: base64.RawURLEncoding.EncodeToString(b[:]), User: owner, UserChatID: owner.ID,
			Date: s.opts.Now().Unix(), Rights: &r, IsEnabled: true},
		chats: map[int64]*chat{}, read: map[int64][]int{},
	}
	s.state.business[bc.info.ID] = bc
	if announce {
		s.pushBusinessConnLocked(bc)
	}
	return bc.info
}

// pushBusinessConnLocked queues a business_connection update in the wire shape of the open-source
// Bot API server, which still sends the pre-9.0 can_reply next to rights.
func (s *Bot) pushBusinessConnLocked(bc *businessConn) {
	info := bc.info
	raw, _ := json.Marshal(struct {
		telego.BusinessConnection
		CanReply bool `json:"can_reply"`
	}{info, info.Rights != nil && info.Rights.CanReply})
	s.pushLocked(map[string]json.RawMessage{"business_connection": raw})
}

func (s *Bot) updateBusiness(id string, edit func(*businessConn)) telego.BusinessConnection {
	s.mu.Lock()
	defer s.mu.Unlock()
	bc := s.state.business[id]
	if bc == nil {
		panic("telegramtest: unknown business connection " + id)
	}
	edit(bc)
	s.pushBusinessConnLocked(bc)
	return bc.info
}

// SetBusinessRights changes a connection's rights (the owner edits them in the app) and queues the
// business_connection update.
func (s *Bot) SetBusinessRights(id string, rights telego.BusinessBotRights) telego.BusinessConnection {
	return s.updateBusiness(id, func(bc *businessConn) { r := rights; bc.info.Rights = &r })
}

// DisableBusiness turns a connection off (is_enabled false) and queues the update. The connection
// is still known (getBusinessConnection answers it); sends with it fail.
func (s *Bot) DisableBusiness(id string) telego.BusinessConnection {
	return s.updateBusiness(id, func(bc *businessConn) { bc.info.IsEnabled = false })
}

// EnableBusiness undoes DisableBusiness and queues the update.
func (s *Bot) EnableBusiness(id string) telego.BusinessConnection {
	return s.updateBusiness(id, func(bc *businessConn) { bc.info.IsEnabled = true })
}

// RemoveBusiness makes the owner disconnect the bot: the update says is_enabled false, and from
// then on the connection is unknown ("business connection not found").
func (s *Bot) RemoveBusiness(id string) {
	s.updateBusiness(id, func(bc *businessConn) { bc.info.IsEnabled = false })
	s.mu.Lock()
	delete(s.state.business, id)
	s.mu.Unlock()
}

// BusinessConnection returns a connection as the fake holds it.
func (s *Bot) BusinessConnection(id string) (telego.BusinessConnection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bc := s.state.business[id]
	if bc == nil {
		return telego.BusinessConnection{}, false
	}
	return bc.info, true
}

// NewBusinessMessage returns a message in customer customerID's chat with the account of
// connection id, written by fromID (the customer, or the account's owner writing from the app),
// with that chat's next message_id, for a test to fill in and push with PushBusinessMessage. The
// customer is registered when unknown.
func (s *Bot) NewBusinessMessage(id string, customerID, fromID int64) telego.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	bc := s.state.business[id]
	if bc == nil {
		panic("telegramtest: unknown business connection " + id)
	}
	cust, ok := s.state.users[customerID]
	if !ok {
		cust = s.srv.registerUserLocked(telego.User{ID: customerID})
	}
	from, ok := s.state.users[fromID]
	if !ok {
		panic("telegramtest: NewBusinessMessage from an unknown user")
	}
	c := bc.chats[cust.ID]
	if c == nil {
		c = &chat{info: privateChat(cust), messages: map[int]*telego.Message{}, biz: bc}
		bc.chats[cust.ID] = c
	}
	return telego.Message{MessageID: c.allocID(), From: &from, Chat: c.info, Date: s.opts.Now().Unix(), BusinessConnectionID: id}
}

// PushBusinessMessage queues m as a business_message update and returns its update_id.
func (s *Bot) PushBusinessMessage(m telego.Message) int64 {
	return s.MustPushUpdate(telego.Update{BusinessMessage: &m})
}

// PushBusinessEdit queues m as an edited_business_message update (EditDate set when 0).
func (s *Bot) PushBusinessEdit(m telego.Message) int64 {
	if m.EditDate == 0 {
		m.EditDate = s.opts.Now().Unix()
	}
	return s.MustPushUpdate(telego.Update{EditedBusinessMessage: &m})
}

// SendBusinessText makes customer customerID write text to the account of connection id and
// returns the business_message.
func (s *Bot) SendBusinessText(id string, customerID int64, text string) telego.Message {
	m := s.NewBusinessMessage(id, customerID, customerID)
	m.Text = text
	s.PushBusinessMessage(m)
	return m
}

// SendBusinessOwnerText makes the account's owner write text from the Telegram app in customer
// customerID's chat: a business_message whose sender is the owner.
func (s *Bot) SendBusinessOwnerText(id string, customerID int64, text string) telego.Message {
	conn, ok := s.BusinessConnection(id)
	if !ok {
		panic("telegramtest: unknown business connection " + id)
	}
	m := s.NewBusinessMessage(id, customerID, conn.User.ID)
	m.Text = text
	s.PushBusinessMessage(m)
	return m
}

// EditBusinessText makes the author of business message messageID change its text and queues the
// edited_business_message update.
func (s *Bot) EditBusinessText(id string, customerID int64, messageID int, text string) telego.Message {
	s.mu.Lock()
	var m telego.Message
	if bc := s.state.business[id]; bc != nil && bc.chats[customerID] != nil && bc.chats[customerID].messages[messageID] != nil {
		m = *bc.chats[customerID].messages[messageID]
	}
	s.mu.Unlock()
	if m.MessageID == 0 {
		panic("telegramtest: EditBusinessText of an unknown message")
	}
	m.Text, m.Entities, m.EditDate = text, nil, s.opts.Now().Unix()
	s.PushBusinessEdit(m)
	return m
}

// DeleteBusinessMessages makes the customer (or owner) delete messages in customer customerID's
// chat and queues the deleted_business_messages update.
func (s *Bot) DeleteBusinessMessages(id string, customerID int64, messageIDs ...int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	bc := s.state.business[id]
	if bc == nil || bc.chats[customerID] == nil {
		panic("telegramtest: DeleteBusinessMessages in an unknown business chat")
	}
	c := bc.chats[customerID]
	for _, mid := range messageIDs {
		delete(c.messages, mid)
	}
	return s.pushLocked(telego.Update{DeletedBusinessMessages: &telego.BusinessMessagesDeleted{
		BusinessConnectionID: id, Chat: c.info, MessageIDs: messageIDs}})
}

// BusinessRead returns the message_ids the bot marked read with readBusinessMessage in customer
// customerID's chat of connection id, in call order.
func (s *Bot) BusinessRead(id string, customerID int64) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bc := s.state.business[id]; bc != nil {
		return slices.Clone(bc.read[customerID])
	}
	return nil
}

var errBusinessForbidden = &apiError{Code: http.StatusForbidden, Description: "Forbidden: BOT_ACCESS_FORBIDDEN"}

// businessLocked finds an enabled connection by id.
func (s *Bot) businessLocked(id string) (*businessConn, *apiError) {
	bc := s.state.business[id]
	if bc == nil {
		return nil, badRequest("business connection not found")
	}
	if !bc.info.IsEnabled {
		return nil, badRequest("BUSINESS_CONNECTION_INVALID")
	}
	return bc, nil
}

func rights(bc *businessConn) telego.BusinessBotRights {
	if bc.info.Rights == nil {
		return telego.BusinessBotRights{}
	}
	return *bc.info.Rights
}

// businessTargetLocked resolves chat_id of a send or edit with business_connection_id: the
// connection must be enabled with can_reply, and the chat one of its customers'.
func (s *Bot) businessTargetLocked(p params) (*chat, *apiError) {
	bc, e := s.businessLocked(p["business_connection_id"])
	if e != nil {
		return nil, e
	}
	if !rights(bc).CanReply {
		return nil, errBusinessForbidden
	}
	ref, e := p.chat("chat_id")
	if e != nil {
		return nil, e
	}
	c := bc.chats[ref.ID]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	return c, nil
}

func (s *Bot) getBusinessConnection(_ context.Context, req *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bc := s.state.business[req.Params["business_connection_id"]]
	if bc == nil {
		return nil, badRequest("business connection not found")
	}
	info := bc.info
	return struct {
		telego.BusinessConnection
		CanReply bool `json:"can_reply"`
	}{info, info.Rights != nil && info.Rights.CanReply}, nil
}

func (s *Bot) readBusinessMessage(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	mid, e := p.int("message_id", 0)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bc, e := s.businessLocked(p["business_connection_id"])
	if e != nil {
		return nil, e
	}
	if !rights(bc).CanReadMessages {
		return nil, errBusinessForbidden
	}
	ref, e := p.chat("chat_id")
	if e != nil {
		return nil, e
	}
	c := bc.chats[ref.ID]
	if c == nil {
		return nil, badRequest("chat not found")
	}
	if c.messages[int(mid)] == nil {
		return nil, badRequest("MESSAGE_ID_INVALID")
	}
	bc.read[ref.ID] = append(bc.read[ref.ID], int(mid))
	return true, nil
}

func (s *Bot) deleteBusinessMessages(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	var ids []int
	raw := p.rawJSON("message_ids")
	if raw == nil {
		return nil, badRequest("message identifiers are not specified")
	}
	if json.Unmarshal(raw, &ids) != nil {
		return nil, badRequest("expected an Array of message identifiers")
	}
	if len(ids) == 0 {
		return nil, badRequest("message identifiers are not specified")
	}
	if len(ids) > 100 {
		return nil, badRequest("too many message identifiers specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bc, e := s.businessLocked(p["business_connection_id"])
	if e != nil {
		return nil, e
	}
	r := rights(bc)
	// All messages must be in one chat: find it by the first (message_ids are unique in the account).
	var c *chat
	for _, ch := range bc.chats {
		if ch.messages[ids[0]] != nil {
			c = ch
			break
		}
	}
	if c == nil {
		return nil, badRequest("message to delete not found")
	}
	for _, id := range ids {
		m := c.messages[id]
		if m == nil {
			return nil, badRequest("message to delete not found")
		}
		own := m.SenderBusinessBot != nil && m.SenderBusinessBot.ID == s.opts.Bot.ID
		if !r.CanDeleteAllMessages && !(own && r.CanDeleteSentMessages) {
			return nil, errBusinessForbidden
		}
	}
	for _, id := range ids {
		delete(c.messages, id)
	}
	return true, nil
}
