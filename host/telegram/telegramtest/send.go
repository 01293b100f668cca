package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/gif" // image.DecodeConfig learns photo dimensions of uploads
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/mymmrac/telego"
)

// methodNames maps the lower-case method to its documented spelling for Sent.Method.
var methodNames = map[string]string{
	"photo": "sendPhoto", "document": "sendDocument", "audio": "sendAudio", "voice": "sendVoice",
	"video": "sendVideo", "animation": "sendAnimation", "video_note": "sendVideoNote", "sticker": "sendSticker",
}

// fileFolders is the file_path folder Telegram uses per media kind.
var fileFolders = map[string]string{
	"photo": "photos", "document": "documents", "audio": "music", "voice": "voice", "video": "videos",
	"animation": "animations", "video_note": "video_notes", "sticker": "stickers",
}

func (s *Bot) getMe(context.Context, *request) (any, *apiError) {
	return s.opts.Bot, nil
}

// blockedErr is the 403 for a chat the bot can no longer write to.
func blockedErr(c *chat) *apiError {
	switch c.info.Type {
	case telego.ChatTypeGroup:
		return forbidden("bot was kicked from the group chat")
	case telego.ChatTypeSupergroup:
		return forbidden("bot was kicked from the supergroup chat")
	case telego.ChatTypeChannel:
		return forbidden("bot was kicked from the channel chat")
	default:
		return forbidden("bot was blocked by the user")
	}
}

// targetLocked resolves chat_id for a send or edit and checks the chat accepts messages: with
// business_connection_id, a customer's chat of that connection. The caller holds s.mu.
func (s *Bot) targetLocked(p params) (*chat, *apiError) {
	if p["business_connection_id"] != "" {
		return s.businessTargetLocked(p)
	}
	ref, e := p.chat("chat_id")
	if e != nil {
		return nil, e
	}
	c, e := s.resolveChatLocked(ref)
	if e != nil {
		return nil, e
	}
	if s.state.blocked[c.info.ID] {
		return nil, blockedErr(c)
	}
	return c, nil
}

// replyToLocked checks reply_parameters (ReplyParameters: chat_id "" means this chat).
func replyToLocked(c *chat, p params) (int, *apiError) {
	raw := p.rawJSON("reply_parameters")
	if raw == nil {
		return 0, nil
	}
	var rp struct {
		MessageID                int  `json:"message_id"`
		AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
	}
	if err := json.Unmarshal(raw, &rp); err != nil {
		return 0, badRequest("can't parse reply parameters JSON object")
	}
	if rp.MessageID <= 0 || rp.MessageID >= c.nextMsg+1 {
		if rp.AllowSendingWithoutReply {
			return 0, nil
		}
		return 0, badRequest("message to be replied not found")
	}
	return rp.MessageID, nil
}

// newBotMessageLocked allocates the next message in c, sent by the bot. In a business chat the
// message is the account owner's, sent by the bot on their behalf.
func (s *Bot) newBotMessageLocked(c *chat) telego.Message {
	bot := asSender(s.opts.Bot)
	m := telego.Message{MessageID: c.allocID(), From: &bot, Chat: c.info, Date: s.opts.Now().Unix()}
	if c.biz != nil {
		owner := c.biz.info.User
		m.From, m.SenderBusinessBot, m.BusinessConnectionID = &owner, &bot, c.biz.info.ID
	}
	return m
}

// asSender is u as a message's from: the getMe-only fields of a bot (can_join_groups, ...) appear
// nowhere else.
func asSender(u telego.User) telego.User {
	return telego.User{ID: u.ID, IsBot: u.IsBot, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username,
		LanguageCode: u.LanguageCode, IsPremium: u.IsPremium}
}

// ownLocked reports whether m was sent by the bot (in a business chat: on the owner's behalf).
func (s *Bot) ownLocked(m *telego.Message) bool {
	if m.SenderBusinessBot != nil {
		return m.SenderBusinessBot.ID == s.opts.Bot.ID
	}
	return m.From != nil && m.From.ID == s.opts.Bot.ID && m.BusinessConnectionID == ""
}

// sendContextLocked checks what every send shares once the chat is known, the reply target and
// message_thread_id, and returns a template message carrying them.
func (s *Bot) sendContextLocked(c *chat, p params) (telego.Message, int, *apiError) {
	replyTo, e := replyToLocked(c, p)
	if e != nil {
		return telego.Message{}, 0, e
	}
	var m telego.Message
	if replyTo != 0 {
		if r := c.messages[replyTo]; r != nil {
			orig := *r
			orig.ReplyToMessage = nil // one level deep, as on Telegram
			m.ReplyToMessage = &orig
		}
	}
	if e := s.threadLocked(c, p, &m); e != nil {
		return telego.Message{}, 0, e
	}
	return m, replyTo, nil
}

// allocSendLocked applies the group rate limit and allocates the bot's new message from the
// template of sendContextLocked; it is the last step before a send succeeds.
func (s *Bot) allocSendLocked(c *chat, tmpl telego.Message) (telego.Message, *apiError) {
	if e := s.groupRateLocked(c); e != nil {
		return telego.Message{}, e
	}
	m := s.newBotMessageLocked(c)
	m.ReplyToMessage, m.MessageThreadID, m.IsTopicMessage = tmpl.ReplyToMessage, tmpl.MessageThreadID, tmpl.IsTopicMessage
	return m, nil
}

func inlineKeyboard(raw json.RawMessage) *telego.InlineKeyboardMarkup {
	if raw == nil {
		return nil
	}
	var kb telego.InlineKeyboardMarkup
	if json.Unmarshal(raw, &kb) != nil || kb.InlineKeyboard == nil {
		return nil
	}
	return &kb
}

func (s *Bot) sendMessage(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	if _, e := p.chat("chat_id"); e != nil {
		return nil, e
	}
	text := p["text"]
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	plain, ents, e := formatText(text, p["parse_mode"], p.rawJSON("entities"))
	if e != nil {
		return nil, e
	}
	if strings.TrimSpace(plain) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf16Len(plain) > maxTextLen {
		return nil, badRequest("message is too long")
	}
	if e := validateKeyboard(p.rawJSON("reply_markup")); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	tmpl, replyTo, e := s.sendContextLocked(c, p)
	if e != nil {
		return nil, e
	}
	m, e := s.allocSendLocked(c, tmpl)
	if e != nil {
		return nil, e
	}
	m.Text, m.Entities = plain, ents
	m.ReplyMarkup = inlineKeyboard(p.rawJSON("reply_markup"))
	stored := m
	c.messages[m.MessageID] = &stored
	s.recordLocked(Sent{Method: "sendMessage", ChatID: c.info.ID, MessageID: m.MessageID, Text: text,
		ParseMode: p["parse_mode"], Entities: p.rawJSON("entities"), ReplyMarkup: p.rawJSON("reply_markup"),
		ReplyTo: replyTo, BusinessConnectionID: p["business_connection_id"], MessageThreadID: m.MessageThreadID,
		Params: p, Message: m, At: s.opts.Now()})
	return m, nil
}

func (s *Bot) editMessageText(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	if p["inline_message_id"] != "" {
		return nil, badRequest("message to edit not found")
	}
	id, e := p.int("message_id", 0)
	if e != nil {
		return nil, e
	}
	if id == 0 {
		return nil, badRequest("message identifier is not specified")
	}
	text := p["text"]
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	plain, ents, e := formatText(text, p["parse_mode"], p.rawJSON("entities"))
	if e != nil {
		return nil, e
	}
	if utf16Len(plain) > maxTextLen {
		return nil, badRequest("message is too long")
	}
	if e := validateKeyboard(p.rawJSON("reply_markup")); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	m, ok := c.messages[int(id)]
	if !ok {
		return nil, badRequest("message to edit not found")
	}
	if !s.ownLocked(m) {
		return nil, badRequest("message can't be edited")
	}
	if m.Text == "" {
		return nil, badRequest("there is no text in the message to edit")
	}
	kb := inlineKeyboard(p.rawJSON("reply_markup"))
	sameKB := func() bool { a, _ := json.Marshal(kb); b, _ := json.Marshal(m.ReplyMarkup); return bytes.Equal(a, b) }
	if m.Text == plain && entitiesEqual(m.Entities, ents) && sameKB() {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	edited := *m
	edited.Text, edited.Entities, edited.ReplyMarkup = plain, ents, kb
	edited.EditDate = s.opts.Now().Unix()
	c.messages[edited.MessageID] = &edited
	s.recordLocked(Sent{Method: "editMessageText", ChatID: c.info.ID, MessageID: edited.MessageID, Text: text,
		ParseMode: p["parse_mode"], Entities: p.rawJSON("entities"), ReplyMarkup: p.rawJSON("reply_markup"),
		BusinessConnectionID: p["business_connection_id"], MessageThreadID: edited.MessageThreadID,
		Params: p, Message: edited, At: s.opts.Now()})
	return edited, nil
}

// editMessageReplyMarkup replaces or (without reply_markup) removes a message's inline keyboard.
func (s *Bot) editMessageReplyMarkup(_ context.Context, req *request) (any, *apiError) {
	p := req.Params
	if p["inline_message_id"] != "" {
		return nil, badRequest("message to edit not found")
	}
	id, e := p.int("message_id", 0)
	if e != nil {
		return nil, e
	}
	if id == 0 {
		return nil, badRequest("message identifier is not specified")
	}
	if e := validateKeyboard(p.rawJSON("reply_markup")); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	m, ok := c.messages[int(id)]
	if !ok {
		return nil, badRequest("message to edit not found")
	}
	if !s.ownLocked(m) {
		return nil, badRequest("message can't be edited")
	}
	kb := inlineKeyboard(p.rawJSON("reply_markup"))
	a, _ := json.Marshal(kb)
	b, _ := json.Marshal(m.ReplyMarkup)
	if bytes.Equal(a, b) {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	edited := *m
	edited.ReplyMarkup = kb
	edited.EditDate = s.opts.Now().Unix()
	c.messages[edited.MessageID] = &edited
	s.recordLocked(Sent{Method: "editMessageReplyMarkup", ChatID: c.info.ID, MessageID: edited.MessageID,
		ReplyMarkup: p.rawJSON("reply_markup"), BusinessConnectionID: p["business_connection_id"],
		MessageThreadID: edited.MessageThreadID, Params: p, Message: edited, At: s.opts.Now()})
	return edited, nil
}

func entitiesEqual(a, b []telego.MessageEntity) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// mediaSender answers sendPhoto, sendDocument, ...: the file comes as an upload, an
// attach://<part> reference or a known file_id. Sending by URL is refused: tests have no network.
func (s *Bot) mediaSender(kind string) handler {
	return func(_ context.Context, req *request) (any, *apiError) {
		p := req.Params
		if _, e := p.chat("chat_id"); e != nil {
			return nil, e
		}
		up, hasUpload := req.Uploads[kind]
		ref := p[kind]
		if !hasUpload && strings.HasPrefix(ref, "attach://") {
			up, hasUpload = req.Uploads[strings.TrimPrefix(ref, "attach://")]
		}
		if !hasUpload && ref == "" {
			return nil, badRequest("there is no " + strings.ReplaceAll(kind, "_", " ") + " in the request")
		}
		if hasUpload && kind == "photo" && len(up.Data) > maxPhotoSize {
			return nil, badRequest("file is too big")
		}
		if hasUpload && len(up.Data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		caption := p["caption"]
		plainCap, capEnts, e := formatText(caption, p["parse_mode"], p.rawJSON("caption_entities"))
		if e != nil {
			return nil, e
		}
		if utf16Len(plainCap) > maxCaptionLen {
			return nil, badRequest("message caption is too long")
		}
		if e := validateKeyboard(p.rawJSON("reply_markup")); e != nil {
			return nil, e
		}

		s.mu.Lock()
		defer s.mu.Unlock()
		c, e := s.targetLocked(p)
		if e != nil {
			return nil, e
		}
		tmpl, replyTo, e := s.sendContextLocked(c, p)
		if e != nil {
			return nil, e
		}
		var f *file
		var sentFiles []SentFile
		if hasUpload {
			mt := uploadMIME(kind, up)
			id, unique := newFileIDs(fileFolders[kind])
			f = &file{id: id, uniqueID: unique, name: up.Name, mime: mt, kind: fileFolders[kind],
				size: int64(len(up.Data)), data: up.Data}
			s.state.files[id] = f
			sentFiles = append(sentFiles, SentFile{Field: kind, Name: up.Name, ContentType: up.ContentType,
				MIMEType: mt, Data: up.Data, FileID: id})
		} else {
			known, ok := s.state.files[ref]
			if !ok {
				if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
					return nil, badRequest("failed to get HTTP URL content")
				}
				return nil, badRequest("wrong file identifier/HTTP URL specified")
			}
			f = known
		}
		m, e := s.allocSendLocked(c, tmpl)
		if e != nil {
			return nil, e
		}
		m.Caption, m.CaptionEntities = plainCap, capEnts
		m.ReplyMarkup = inlineKeyboard(p.rawJSON("reply_markup"))
		s.attachLocked(&m, kind, f)
		stored := m
		c.messages[m.MessageID] = &stored
		s.recordLocked(Sent{Method: methodNames[kind], ChatID: c.info.ID, MessageID: m.MessageID,
			Caption: caption, ParseMode: p["parse_mode"], Entities: p.rawJSON("caption_entities"),
			ReplyMarkup: p.rawJSON("reply_markup"), ReplyTo: replyTo, Files: sentFiles,
			BusinessConnectionID: p["business_connection_id"], MessageThreadID: m.MessageThreadID, Params: p,
			Message: m, At: s.opts.Now()})
		return m, nil
	}
}

// uploadMIME is the MIME type Telegram records for an upload: telego labels every part
// application/octet-stream, so the name's extension decides, then the content.
func uploadMIME(kind string, up upload) string {
	if up.ContentType != "" && up.ContentType != "application/octet-stream" {
		return up.ContentType
	}
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(up.Name))); t != "" {
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
		return t
	}
	if kind == "voice" {
		return "audio/ogg"
	}
	t := http.DetectContentType(up.Data)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return t
}

// attachLocked puts the media object for f into m, the way Telegram shapes each kind.
func (s *Bot) attachLocked(m *telego.Message, kind string, f *file) {
	switch kind {
	case "photo":
		m.Photo = s.photoSizesLocked(f)
	case "audio":
		m.Audio = &telego.Audio{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	case "voice":
		m.Voice = &telego.Voice{FileID: f.id, FileUniqueID: f.uniqueID, MimeType: f.mime, FileSize: f.size}
	case "video":
		m.Video = &telego.Video{FileID: f.id, FileUniqueID: f.uniqueID, Width: 640, Height: 360, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	case "animation":
		m.Animation = &telego.Animation{FileID: f.id, FileUniqueID: f.uniqueID, Width: 320, Height: 240, FileName: f.name, MimeType: f.mime, FileSize: f.size}
		m.Document = &telego.Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	case "video_note":
		m.VideoNote = &telego.VideoNote{FileID: f.id, FileUniqueID: f.uniqueID, Length: 240, FileSize: int(f.size)}
	case "sticker":
		m.Sticker = &telego.Sticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512, FileSize: int(f.size)}
	default:
		m.Document = &telego.Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	}
}

// photoSizesLocked returns the sizes Telegram makes of one picture, smallest first. The
// fake cannot resize, so each size is its own file_id over the same bytes.
func (s *Bot) photoSizesLocked(f *file) []telego.PhotoSize {
	w, h := 1280, 960
	if f.data != nil {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(f.data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			w, h = cfg.Width, cfg.Height
		}
	}
	var sizes []telego.PhotoSize
	for _, side := range []int{90, 320} {
		if max(w, h) <= side {
			break
		}
		id, unique := newFileIDs("photos")
		sw, sh := w*side/max(w, h), h*side/max(w, h)
		thumb := &file{id: id, uniqueID: unique, name: f.name, mime: f.mime, kind: "photos", size: f.size, data: f.data}
		s.state.files[id] = thumb
		sizes = append(sizes, telego.PhotoSize{FileID: id, FileUniqueID: unique, Width: max(sw, 1), Height: max(sh, 1), FileSize: int(f.size)})
	}
	return append(sizes, telego.PhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: w, Height: h, FileSize: int(f.size)})
}

// chatActions are the actions sendChatAction accepts.
var chatActions = map[string]bool{"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true}

func (s *Bot) sendChatAction(_ context.Context, req *request) (any, *apiError) {
	if !chatActions[req.Params["action"]] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.targetLocked(req.Params)
	if e != nil {
		return nil, e
	}
	thread, _ := req.Params.int("message_thread_id", 0)
	s.state.actions = append(s.state.actions, ChatAction{ChatID: c.info.ID, Action: req.Params["action"],
		BusinessConnectionID: req.Params["business_connection_id"], MessageThreadID: int(thread), At: s.opts.Now()})
	return true, nil
}

// deleteWindow is how long a message can be deleted (Bot API deleteMessage: "less than 48 hours ago").
const deleteWindow = 48 * time.Hour

// deleteMessage follows the Bot API's rules: a message younger than 48 hours (by the fake's
// clock); in a private chat any message, in a group the bot's own or, for an administrator with
// can_delete_messages, anyone's; never a topic's creation message.
func (s *Bot) deleteMessage(_ context.Context, req *request) (any, *apiError) {
	id, e := req.Params.int("message_id", 0)
	if e != nil {
		return nil, e
	}
	p := req.Params
	delete(p, "business_connection_id") // deleteMessage has no such parameter: deleteBusinessMessages does it
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.targetLocked(p)
	if e != nil {
		return nil, e
	}
	m, ok := c.messages[int(id)]
	if !ok {
		return nil, badRequest("message to delete not found")
	}
	if s.opts.Now().Sub(time.Unix(m.Date, 0)) >= deleteWindow || m.ForumTopicCreated != nil {
		return nil, badRequest("message can't be deleted")
	}
	if c.group != nil && !s.ownLocked(m) {
		mem := c.group.members[s.opts.Bot.ID]
		if mem == nil || !(mem.status == telego.MemberStatusCreator || mem.rights.CanDeleteMessages) {
			return nil, badRequest("message can't be deleted")
		}
	}
	delete(c.messages, int(id))
	return true, nil
}

func (s *Bot) setMyCommands(_ context.Context, req *request) (any, *apiError) {
	raw := req.Params.rawJSON("commands")
	if raw == nil {
		return nil, badRequest("parameter \"commands\" is required")
	}
	s.mu.Lock()
	s.state.commands = raw
	s.mu.Unlock()
	return true, nil
}

func (s *Bot) getMyCommands(context.Context, *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.commands == nil {
		return json.RawMessage("[]"), nil
	}
	return s.state.commands, nil
}
