package telegramtest

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/mymmrac/telego"
)

// group is what a group or supergroup has beyond a chat: members with rights, and forum topics.
type group struct {
	forum   bool
	members map[int64]*member
	topics  map[int]*topic
	sends   map[int64][]time.Time // bot ID -> its sends in the last minute (GroupRateLimit)
}

func newGroup() *group {
	return &group{members: map[int64]*member{}, topics: map[int]*topic{}, sends: map[int64][]time.Time{}}
}

// member is one member of a group: a user or a bot.
type member struct {
	status string // creator, administrator or member
	rights AdminRights
}

// AdminRights are the administrator rights the fake checks (a subset of ChatAdministratorRights).
type AdminRights struct {
	// CanManageTopics allows creating, editing, closing and reopening forum topics, and posting
	// in closed ones.
	CanManageTopics bool
	// CanDeleteMessages allows deleting other members' messages.
	CanDeleteMessages bool
	// CanPinMessages is reported by getChatMember; the fake has no pinning.
	CanPinMessages bool
}

// topic is one forum topic; its ID is the message_id of its forum_topic_created service message.
type topic struct {
	id                int
	name              string
	iconColor         int
	iconCustomEmojiID string
	closed            bool
	creatorID         int64
	created           telego.Message
}

// SupergroupOptions describe a supergroup for AddSupergroup.
type SupergroupOptions struct {
	// ID is the chat ID (-100…); a free one when 0.
	ID int64
	// Title defaults to "Staff".
	Title    string
	Username string
	// Forum turns topics on (is_forum).
	Forum bool
	// Owner is the creator's user ID (optional); the creator has every right.
	Owner int64
	// Members are plain members: user IDs (RegisterUser, AddUser) or bot IDs (Bot.User().ID).
	Members []int64
	// Admins are administrators with their rights, by user or bot ID.
	Admins map[int64]AdminRights
}

// TopicInfo is a forum topic as the fake holds it.
type TopicInfo struct {
	MessageThreadID   int
	Name              string
	IconColor         int
	IconCustomEmojiID string
	Closed            bool
	// Created is the forum_topic_created service message that opened the topic.
	Created telego.Message
}

// topicColors are the icon colours createForumTopic accepts (Bot API: "Currently, must be one of").
var topicColors = map[int]bool{7322096: true, 16766590: true, 13338331: true, 9367192: true, 16749490: true, 16478047: true}

// maxTopicName is createForumTopic's name limit, in characters.
const maxTopicName = 128

// AddSupergroup makes a supergroup (a forum when o.Forum) with members and administrators, and
// returns its Chat. Every bot named among them can use it; the others get "chat not found". It
// panics on a member ID that is neither a registered user nor a bot (a test bug).
func (s *Server) AddSupergroup(o SupergroupOptions) telego.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == 0 {
		o.ID = s.freeGroupIDLocked()
	}
	if o.Title == "" {
		o.Title = "Staff"
	}
	info := telego.Chat{ID: o.ID, Type: telego.ChatTypeSupergroup, Title: o.Title, Username: o.Username, IsForum: o.Forum}
	g := &chat{info: info, messages: map[int]*telego.Message{}, group: newGroup()}
	g.group.forum = o.Forum
	add := func(id int64, m *member) {
		if _, ok := s.world.users[id]; !ok {
			panic(fmt.Sprintf("telegramtest: AddSupergroup member %d is neither a registered user nor a bot", id))
		}
		g.group.members[id] = m
		if b := s.botByIDLocked(id); b != nil {
			b.state.chats[o.ID] = g
		}
	}
	for _, id := range o.Members {
		add(id, &member{status: telego.MemberStatusMember})
	}
	for id, r := range o.Admins {
		add(id, &member{status: telego.MemberStatusAdministrator, rights: r})
	}
	if o.Owner != 0 {
		add(o.Owner, &member{status: telego.MemberStatusCreator,
			rights: AdminRights{CanManageTopics: true, CanDeleteMessages: true, CanPinMessages: true}})
	}
	s.world.groups[o.ID] = g
	return info
}

// Topics returns the forum topics of a group, oldest first.
func (s *Server) Topics(chatID int64) []TopicInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.world.groups[chatID]
	if g == nil {
		return nil
	}
	var out []TopicInfo
	for id := 1; id <= g.nextMsg; id++ {
		if t := g.group.topics[id]; t != nil {
			out = append(out, TopicInfo{MessageThreadID: t.id, Name: t.name, IconColor: t.iconColor,
				IconCustomEmojiID: t.iconCustomEmojiID, Closed: t.closed, Created: t.created})
		}
	}
	return out
}

// NewTopicMessage returns a message from member fromID in a group's topic (threadID 0: the
// General topic, or a group without topics), with the group's next message_id, for a test to fill
// in and push with PushGroupMessage. In a topic it carries message_thread_id, is_topic_message and,
// as on Telegram, reply_to_message set to the topic's creation message (set ReplyToMessage to
// answer another message instead).
func (s *Server) NewTopicMessage(chatID int64, threadID int, fromID int64) telego.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.world.groups[chatID]
	if g == nil {
		panic("telegramtest: NewTopicMessage in an unknown group; AddSupergroup first")
	}
	u, ok := s.world.users[fromID]
	if !ok {
		panic("telegramtest: NewTopicMessage from an unknown user; RegisterUser first")
	}
	g.nextMsg++
	m := telego.Message{MessageID: g.nextMsg, From: &u, Chat: g.info, Date: s.opts.Now().Unix()}
	if threadID != 0 {
		t := g.group.topics[threadID]
		if t == nil {
			panic("telegramtest: NewTopicMessage in an unknown topic")
		}
		inTopic(&m, t)
	}
	return m
}

// inTopic marks m as posted in topic t, the way Telegram shapes topic messages.
func inTopic(m *telego.Message, t *topic) {
	m.MessageThreadID, m.IsTopicMessage = t.id, true
	if m.ReplyToMessage == nil {
		created := t.created
		m.ReplyToMessage = &created
	}
}

// PostInTopic makes member fromID (an agent) write text in a group's topic (0: General) and
// delivers it as a "message" update to the bots in the group that see it (see PushGroupMessage).
func (s *Server) PostInTopic(chatID int64, threadID int, fromID int64, text string) telego.Message {
	m := s.NewTopicMessage(chatID, threadID, fromID)
	m.Text = text
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m.Entities = []telego.MessageEntity{{Type: "bot_command", Length: utf16Len(cmd)}}
	}
	s.PushGroupMessage(m)
	return m
}

// PushGroupMessage records m (from NewTopicMessage) in its group and queues it as a "message"
// update for every bot in the group that would see it: never a message from a bot (Telegram's
// rule against bot loops), and, Telegram's privacy mode, only administrators and bots with
// can_read_all_group_messages see every message; the others see commands, replies to their own
// messages and service messages.
func (s *Server) PushGroupMessage(m telego.Message) { s.pushGroup(m, false) }

// PushGroupEdit is PushGroupMessage for an "edited_message" update (EditDate is set when 0).
func (s *Server) PushGroupEdit(m telego.Message) {
	if m.EditDate == 0 {
		m.EditDate = s.opts.Now().Unix()
	}
	s.pushGroup(m, true)
}

func (s *Server) pushGroup(m telego.Message, edit bool) {
	s.mu.Lock()
	g := s.world.groups[m.Chat.ID]
	if g == nil {
		s.mu.Unlock()
		panic("telegramtest: PushGroupMessage in an unknown group")
	}
	stored := m
	g.messages[m.MessageID] = &stored
	var to []*Bot
	for _, b := range s.bots {
		if b.sees(g, &m) {
			to = append(to, b)
		}
	}
	s.mu.Unlock()
	for _, b := range to {
		if edit {
			b.MustPushUpdate(telego.Update{EditedMessage: &m})
		} else {
			b.MustPushUpdate(telego.Update{Message: &m})
		}
	}
}

// sees reports whether bot s gets message m of group g (privacy mode, see PushGroupMessage).
// The caller holds s.mu.
func (s *Bot) sees(g *chat, m *telego.Message) bool {
	me := s.opts.Bot.ID
	mem := g.group.members[me]
	if mem == nil || s.state.chats[g.info.ID] != g || (m.From != nil && m.From.IsBot) {
		return false
	}
	if mem.status != telego.MemberStatusMember || s.opts.Bot.CanReadAllGroupMessages {
		return true
	}
	if strings.HasPrefix(m.Text, "/") || m.ForumTopicCreated != nil || m.ForumTopicClosed != nil ||
		m.ForumTopicReopened != nil || m.ForumTopicEdited != nil || m.NewChatMembers != nil || m.LeftChatMember != nil {
		return true
	}
	r := m.ReplyToMessage
	return r != nil && r.From != nil && r.From.ID == me && r.ForumTopicCreated == nil
}

// groupRateLocked enforces Options.GroupRateLimit for a send of bot s into chat c.
func (s *Bot) groupRateLocked(c *chat) *apiError {
	limit := s.opts.GroupRateLimit
	if limit <= 0 || c.group == nil {
		return nil
	}
	now := s.opts.Now()
	me := s.opts.Bot.ID
	times := c.group.sends[me]
	for len(times) > 0 && now.Sub(times[0]) >= time.Minute {
		times = times[1:]
	}
	if len(times) >= limit {
		c.group.sends[me] = times
		wait := int(math.Ceil(times[0].Add(time.Minute).Sub(now).Seconds()))
		wait = max(wait, 1)
		s.state.served429++
		return &apiError{Code: http.StatusTooManyRequests, Description: fmt.Sprintf("Too Many Requests: retry after %d", wait), RetryAfter: wait}
	}
	c.group.sends[me] = append(times, now)
	return nil
}

// threadLocked applies message_thread_id of a send into c to m: the topic must exist, and a closed
// topic takes messages only from members who may manage topics.
func (s *Bot) threadLocked(c *chat, p params, m *telego.Message) *apiError {
	id, e := p.int("message_thread_id", 0)
	if e != nil || id == 0 {
		return e
	}
	if c.group == nil || !c.group.forum {
		return badRequest("message thread not found")
	}
	t := c.group.topics[int(id)]
	if t == nil {
		return badRequest("message thread not found")
	}
	if t.closed && !s.canManageTopicsLocked(c) {
		return badRequest("TOPIC_CLOSED")
	}
	inTopic(m, t)
	return nil
}

func (s *Bot) canManageTopicsLocked(c *chat) bool {
	mem := c.group.members[s.opts.Bot.ID]
	return mem != nil && (mem.status == telego.MemberStatusCreator || mem.rights.CanManageTopics)
}

// forumLocked resolves chat_id for a topic method: a supergroup with topics the bot is in.
func (s *Bot) forumLocked(p params) (*chat, *apiError) {
	c, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	if c.group == nil || !c.group.forum {
		return nil, badRequest("the chat is not a forum")
	}
	return c, nil
}

// topicServiceLocked posts a service message about topic t in c from the bot. No bot gets it as
// an update: bots never see other bots' messages, service messages included.
func (s *Bot) topicServiceLocked(c *chat, t *topic, edit func(*telego.Message)) telego.Message {
	m := s.newBotMessageLocked(c)
	edit(&m)
	if t != nil {
		inTopic(&m, t)
	}
	c.messages[m.MessageID] = &m
	return m
}

func (s *Bot) createForumTopic(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	name := strings.TrimSpace(p["name"])
	if name == "" {
		return nil, badRequest(`parameter "name" is required`)
	}
	if r := []rune(name); len(r) > maxTopicName {
		name = string(r[:maxTopicName]) // TDLib cuts over-long titles rather than refusing them
	}
	color, e := p.int("icon_color", 7322096)
	if e != nil {
		return nil, e
	}
	if !topicColors[int(color)] {
		return nil, badRequest("invalid icon color specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.forumLocked(p)
	if e != nil {
		return nil, e
	}
	if !s.canManageTopicsLocked(c) {
		return nil, badRequest("not enough rights to create a topic")
	}
	t := &topic{name: name, iconColor: int(color), iconCustomEmojiID: p["icon_custom_emoji_id"], creatorID: s.opts.Bot.ID}
	created := s.topicServiceLocked(c, nil, func(m *telego.Message) {
		m.ForumTopicCreated = &telego.ForumTopicCreated{Name: t.name, IconColor: t.iconColor, IconCustomEmojiID: t.iconCustomEmojiID}
		m.MessageThreadID, m.IsTopicMessage = m.MessageID, true
	})
	t.id, t.created = created.MessageID, created
	c.group.topics[t.id] = t
	return telego.ForumTopic{MessageThreadID: t.id, Name: t.name, IconColor: t.iconColor, IconCustomEmojiID: t.iconCustomEmojiID}, nil
}

// topicLocked finds the topic of message_thread_id for edit/close/reopen, checking the rights
// (managing topics, or being the topic's creator).
func (s *Bot) topicLocked(p params) (*chat, *topic, *apiError) {
	c, e := s.forumLocked(p)
	if e != nil {
		return nil, nil, e
	}
	id, e := p.int("message_thread_id", 0)
	if e != nil {
		return nil, nil, e
	}
	t := c.group.topics[int(id)]
	if t == nil {
		return nil, nil, badRequest("TOPIC_ID_INVALID")
	}
	if !s.canManageTopicsLocked(c) && t.creatorID != s.opts.Bot.ID {
		return nil, nil, badRequest("not enough rights to manage topics")
	}
	return c, t, nil
}

func (s *Bot) editForumTopic(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	s.mu.Lock()
	defer s.mu.Unlock()
	c, t, e := s.topicLocked(p)
	if e != nil {
		return nil, e
	}
	name, hasName := p["name"], p["name"] != ""
	if r := []rune(name); len(r) > maxTopicName {
		name = string(r[:maxTopicName])
	}
	icon, hasIcon := p["icon_custom_emoji_id"]
	if (!hasName || name == t.name) && (!hasIcon || icon == t.iconCustomEmojiID) {
		return nil, badRequest("TOPIC_NOT_MODIFIED")
	}
	edited := &telego.ForumTopicEdited{}
	if hasName && name != t.name {
		t.name, edited.Name = name, name
	}
	if hasIcon && icon != t.iconCustomEmojiID {
		t.iconCustomEmojiID, edited.IconCustomEmojiID = icon, icon
	}
	s.topicServiceLocked(c, t, func(m *telego.Message) { m.ForumTopicEdited = edited })
	return true, nil
}

func (s *Bot) closeForumTopic(_ context.Context, req *request) (any, *apiError) {
	return s.toggleTopic(req, true)
}

func (s *Bot) reopenForumTopic(_ context.Context, req *request) (any, *apiError) {
	return s.toggleTopic(req, false)
}

func (s *Bot) toggleTopic(req *request, closed bool) (any, *apiError) {
	p := req.Params
	s.mu.Lock()
	defer s.mu.Unlock()
	c, t, e := s.topicLocked(p)
	if e != nil {
		return nil, e
	}
	if t.closed == closed {
		return nil, badRequest("TOPIC_NOT_MODIFIED")
	}
	t.closed = closed
	s.topicServiceLocked(c, t, func(m *telego.Message) {
		if closed {
			m.ForumTopicClosed = &telego.ForumTopicClosed{}
		} else {
			m.ForumTopicReopened = &telego.ForumTopicReopened{}
		}
	})
	return true, nil
}

func (s *Bot) getChat(_ context.Context, req *request) (any, *apiError) {
	ref, e := req.Params.chat("chat_id")
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.resolveChatLocked(ref)
	if e != nil {
		return nil, e
	}
	i := c.info
	return telego.ChatFullInfo{ID: i.ID, Type: i.Type, Title: i.Title, Username: i.Username, FirstName: i.FirstName,
		LastName: i.LastName, IsForum: c.group != nil && c.group.forum, AccentColorID: int((i.ID%7 + 7) % 7), MaxReactionCount: 11}, nil
}

func (s *Bot) getChatMember(_ context.Context, req *request) (any, *apiError) {
	ref, e := req.Params.chat("chat_id")
	if e != nil {
		return nil, e
	}
	uid, e := req.Params.int("user_id", 0)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.resolveChatLocked(ref)
	if e != nil {
		return nil, e
	}
	u, ok := s.state.users[uid]
	if !ok {
		return nil, badRequest("user not found")
	}
	if c.group == nil {
		if uid == c.info.ID || uid == s.opts.Bot.ID {
			return telego.ChatMemberMember{Status: telego.MemberStatusMember, User: u}, nil
		}
		return telego.ChatMemberLeft{Status: telego.MemberStatusLeft, User: u}, nil
	}
	mem := c.group.members[uid]
	switch {
	case mem == nil:
		return telego.ChatMemberLeft{Status: telego.MemberStatusLeft, User: u}, nil
	case mem.status == telego.MemberStatusCreator:
		return telego.ChatMemberOwner{Status: telego.MemberStatusCreator, User: u}, nil
	case mem.status == telego.MemberStatusAdministrator:
		return telego.ChatMemberAdministrator{Status: telego.MemberStatusAdministrator, User: u, CanManageChat: true,
			CanDeleteMessages: mem.rights.CanDeleteMessages, CanPinMessages: mem.rights.CanPinMessages,
			CanManageTopics: mem.rights.CanManageTopics, CanInviteUsers: true}, nil
	default:
		return telego.ChatMemberMember{Status: telego.MemberStatusMember, User: u}, nil
	}
}
