package sdk

// Conversions between the SDK's plain Go types and the protocol's protobuf
// types. Plugin authors never see the protobuf side; this file is the one
// place the two meet.

import (
	"time"

	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var kindToProto = map[Kind]channelv1.Kind{
	KindText: channelv1.Kind_KIND_TEXT, KindPhoto: channelv1.Kind_KIND_PHOTO,
	KindDocument: channelv1.Kind_KIND_DOCUMENT, KindAudio: channelv1.Kind_KIND_AUDIO,
	KindVoice: channelv1.Kind_KIND_VOICE, KindVideo: channelv1.Kind_KIND_VIDEO,
	KindVideoNote: channelv1.Kind_KIND_VIDEO_NOTE, KindAnimation: channelv1.Kind_KIND_ANIMATION,
	KindSticker: channelv1.Kind_KIND_STICKER, KindLocation: channelv1.Kind_KIND_LOCATION,
	KindVenue: channelv1.Kind_KIND_VENUE, KindContact: channelv1.Kind_KIND_CONTACT,
	KindPoll: channelv1.Kind_KIND_POLL, KindUnsupported: channelv1.Kind_KIND_UNSUPPORTED,
	KindNotice: channelv1.Kind_KIND_NOTICE,
}

var kindFromProto = func() map[channelv1.Kind]Kind {
	m := make(map[channelv1.Kind]Kind, len(kindToProto))
	for k, v := range kindToProto {
		m[v] = k
	}
	return m
}()

func tsToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tsFromProto(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func conversationToProto(c Conversation) *channelv1.Conversation {
	return &channelv1.Conversation{
		Id: c.ID, Number: c.Number, TelegramChatId: c.TelegramChatID,
		StartedAt: tsToProto(c.StartedAt), StartPayload: c.StartPayload, Blocked: c.Blocked,
		State: string(c.State), ClaimedBy: c.ClaimedBy, PreviousId: c.PreviousID, PreviousNumber: c.PreviousNumber,
		Bot: c.Bot, Business: businessToProto(c.Business),
	}
}

func businessToProto(b *Business) *channelv1.Business {
	if b == nil {
		return nil
	}
	return &channelv1.Business{ConnectionId: b.ConnectionID, Account: &channelv1.BusinessAccount{
		Id: b.Account.ID, Username: b.Account.Username, Name: b.Account.Name,
	}}
}

func businessFromProto(b *channelv1.Business) *Business {
	if b == nil {
		return nil
	}
	a := b.GetAccount()
	return &Business{ConnectionID: b.GetConnectionId(), Account: BusinessAccount{
		ID: a.GetId(), Username: a.GetUsername(), Name: a.GetName(),
	}}
}

func conversationFromProto(c *channelv1.Conversation) Conversation {
	if c == nil {
		return Conversation{}
	}
	return Conversation{
		ID: c.GetId(), Number: c.GetNumber(), TelegramChatID: c.GetTelegramChatId(),
		StartedAt: tsFromProto(c.GetStartedAt()), StartPayload: c.GetStartPayload(), Blocked: c.GetBlocked(),
		State: ConversationState(c.GetState()), ClaimedBy: c.GetClaimedBy(), PreviousID: c.GetPreviousId(), PreviousNumber: c.GetPreviousNumber(),
		Bot: c.GetBot(), Business: businessFromProto(c.GetBusiness()),
	}
}

func contactToProto(c Contact) *channelv1.Contact {
	return &channelv1.Contact{
		TelegramUserId: c.TelegramUserID, FirstName: c.FirstName, LastName: c.LastName,
		Username: c.Username, LanguageCode: c.LanguageCode, PhotoUrl: c.PhotoURL,
	}
}

func contactFromProto(c *channelv1.Contact) Contact {
	if c == nil {
		return Contact{}
	}
	return Contact{
		TelegramUserID: c.GetTelegramUserId(), FirstName: c.GetFirstName(), LastName: c.GetLastName(),
		Username: c.GetUsername(), LanguageCode: c.GetLanguageCode(), PhotoURL: c.GetPhotoUrl(),
	}
}

func messageToProto(m Message) *channelv1.Message {
	p := &channelv1.Message{
		Id: m.ID, Time: tsToProto(m.Time), Kind: kindToProto[m.Kind], Text: m.Text,
		EditOf: m.EditOf, MediaGroupId: m.MediaGroupID, StickerEmoji: m.StickerEmoji,
		TelegramMessageId: m.TelegramMessageID, OutsideHours: m.OutsideHours,
	}
	for _, e := range m.Entities {
		p.Entities = append(p.Entities, &channelv1.Entity{
			Type: e.Type, Offset: int32(e.Offset), Length: int32(e.Length), Url: e.URL, Language: e.Language,
		})
	}
	for _, a := range m.Attachments {
		p.Attachments = append(p.Attachments, &channelv1.Attachment{
			Name: a.Name, MimeType: a.MIMEType, Size: a.Size, Url: a.URL, TooLarge: a.TooLarge,
			FileRef: a.FileRef, Kind: a.Kind, Width: int32(a.Width), Height: int32(a.Height),
			DurationSeconds: int32(a.DurationSeconds),
		})
	}
	if l := m.Location; l != nil {
		p.Location = &channelv1.Location{Latitude: l.Latitude, Longitude: l.Longitude, Title: l.Title, Address: l.Address, MapUrl: l.MapURL}
	}
	if c := m.SharedContact; c != nil {
		p.SharedContact = &channelv1.SharedContact{FirstName: c.FirstName, LastName: c.LastName, PhoneNumber: c.PhoneNumber, TelegramUserId: c.TelegramUserID}
	}
	if pl := m.Poll; pl != nil {
		p.Poll = &channelv1.Poll{Question: pl.Question, Options: append([]string(nil), pl.Options...)}
	}
	if f := m.Forward; f != nil {
		p.Forward = &channelv1.Forward{From: f.From, OriginalTime: tsToProto(f.OriginalTime)}
	}
	if q := m.ReplyTo; q != nil {
		p.ReplyTo = &channelv1.Quote{MessageId: q.MessageID, Text: q.Text, FromBot: q.FromBot}
	}
	if n := m.Notice; n != nil {
		p.Notice = noticeToProto(n)
	}
	return p
}

func messageFromProto(p *channelv1.Message) Message {
	if p == nil {
		return Message{}
	}
	m := Message{
		ID: p.GetId(), Time: tsFromProto(p.GetTime()), Kind: kindFromProto[p.GetKind()], Text: p.GetText(),
		EditOf: p.GetEditOf(), MediaGroupID: p.GetMediaGroupId(), StickerEmoji: p.GetStickerEmoji(),
		TelegramMessageID: p.GetTelegramMessageId(), OutsideHours: p.GetOutsideHours(),
	}
	for _, e := range p.GetEntities() {
		m.Entities = append(m.Entities, Entity{
			Type: e.GetType(), Offset: int(e.GetOffset()), Length: int(e.GetLength()), URL: e.GetUrl(), Language: e.GetLanguage(),
		})
	}
	for _, a := range p.GetAttachments() {
		m.Attachments = append(m.Attachments, Attachment{
			Name: a.GetName(), MIMEType: a.GetMimeType(), Size: a.GetSize(), URL: a.GetUrl(), TooLarge: a.GetTooLarge(),
			FileRef: a.GetFileRef(), Kind: a.GetKind(), Width: int(a.GetWidth()), Height: int(a.GetHeight()),
			DurationSeconds: int(a.GetDurationSeconds()),
		})
	}
	if l := p.GetLocation(); l != nil {
		m.Location = &Location{Latitude: l.GetLatitude(), Longitude: l.GetLongitude(), Title: l.GetTitle(), Address: l.GetAddress(), MapURL: l.GetMapUrl()}
	}
	if c := p.GetSharedContact(); c != nil {
		m.SharedContact = &SharedContact{FirstName: c.GetFirstName(), LastName: c.GetLastName(), PhoneNumber: c.GetPhoneNumber(), TelegramUserID: c.GetTelegramUserId()}
	}
	if pl := p.GetPoll(); pl != nil {
		m.Poll = &Poll{Question: pl.GetQuestion(), Options: append([]string(nil), pl.GetOptions()...)}
	}
	if f := p.GetForward(); f != nil {
		m.Forward = &Forward{From: f.GetFrom(), OriginalTime: tsFromProto(f.GetOriginalTime())}
	}
	if q := p.GetReplyTo(); q != nil {
		m.ReplyTo = &Quote{MessageID: q.GetMessageId(), Text: q.GetText(), FromBot: q.GetFromBot()}
	}
	if n := p.GetNotice(); n != nil {
		m.Notice = noticeFromProto(n)
	}
	return m
}

func noticeToProto(n *Notice) *channelv1.Notice {
	return &channelv1.Notice{
		Code: string(n.Code), Text: n.Text, ReplyExternalId: n.ReplyExternalID,
		Agent: n.Agent, Reason: n.Reason, Score: int32(n.Score), Scale: int32(n.Scale),
		SourceChannel: n.SourceChannel, ActionExternalId: n.ActionExternalID, State: string(n.State),
		Emoji: n.Emoji, Removed: n.Removed, MessageId: n.MessageID, Channels: n.Channels,
	}
}

func noticeFromProto(n *channelv1.Notice) *Notice {
	return &Notice{
		Code: NoticeCode(n.GetCode()), Text: n.GetText(), ReplyExternalID: n.GetReplyExternalId(),
		Agent: n.GetAgent(), Reason: n.GetReason(), Score: int(n.GetScore()), Scale: int(n.GetScale()),
		SourceChannel: n.GetSourceChannel(), ActionExternalID: n.GetActionExternalId(), State: ConversationState(n.GetState()),
		Emoji: n.GetEmoji(), Removed: n.GetRemoved(), MessageID: n.GetMessageId(), Channels: n.GetChannels(),
	}
}

// actionKinds maps the SDK's action kinds to the protocol's.
var actionKinds = map[ActionKind]channelv1.ActionKind{
	ActionClaim:    channelv1.ActionKind_ACTION_KIND_CLAIM,
	ActionUnclaim:  channelv1.ActionKind_ACTION_KIND_UNCLAIM,
	ActionClose:    channelv1.ActionKind_ACTION_KIND_CLOSE,
	ActionReopen:   channelv1.ActionKind_ACTION_KIND_REOPEN,
	ActionReact:    channelv1.ActionKind_ACTION_KIND_REACT,
	ActionDelete:   channelv1.ActionKind_ACTION_KIND_DELETE,
	ActionTyping:   channelv1.ActionKind_ACTION_KIND_TYPING,
	ActionTransfer: channelv1.ActionKind_ACTION_KIND_TRANSFER,
}

func actionToProto(a Action) *channelv1.Action {
	return &channelv1.Action{
		Kind: actionKinds[a.Kind], ThreadRef: a.ThreadRef, ConversationId: a.ConversationID,
		ExternalId: a.ExternalID, Agent: a.Agent, MessageId: a.MessageID, DeskMessageId: a.DeskMessageID,
		Emoji: a.Emoji, ReplyExternalId: a.ReplyExternalID, Channels: a.Channels,
	}
}

// actionFromProto maps an unknown kind (a newer plugin's) to "", which the
// host refuses with a clear error.
func actionFromProto(p *channelv1.Action) Action {
	a := Action{ThreadRef: p.GetThreadRef(), ConversationID: p.GetConversationId(), ExternalID: p.GetExternalId(), Agent: p.GetAgent(),
		MessageID: p.GetMessageId(), DeskMessageID: p.GetDeskMessageId(), Emoji: p.GetEmoji(),
		ReplyExternalID: p.GetReplyExternalId(), Channels: p.GetChannels()}
	for k, v := range actionKinds {
		if v == p.GetKind() {
			a.Kind = k
		}
	}
	return a
}

func replyToProto(r Reply) *channelv1.Reply {
	p := &channelv1.Reply{
		ThreadRef: r.ThreadRef, ConversationId: r.ConversationID, ExternalId: r.ExternalID,
		Author: r.Author, Text: r.Text, EditOf: r.EditOf, Format: channelv1.TextFormat_TEXT_FORMAT_PLAIN,
	}
	if r.Format == FormatTelegramHTML {
		p.Format = channelv1.TextFormat_TEXT_FORMAT_TELEGRAM_HTML
	}
	for _, a := range r.Attachments {
		p.Attachments = append(p.Attachments, &channelv1.ReplyAttachment{Ref: a.Ref, Name: a.Name, MimeType: a.MIMEType, Size: a.Size})
	}
	return p
}

func replyFromProto(p *channelv1.Reply) Reply {
	if p == nil {
		return Reply{}
	}
	r := Reply{
		ThreadRef: p.GetThreadRef(), ConversationID: p.GetConversationId(), ExternalID: p.GetExternalId(),
		Author: p.GetAuthor(), Text: p.GetText(), EditOf: p.GetEditOf(),
	}
	if p.GetFormat() == channelv1.TextFormat_TEXT_FORMAT_TELEGRAM_HTML {
		r.Format = FormatTelegramHTML
	}
	for _, a := range p.GetAttachments() {
		r.Attachments = append(r.Attachments, ReplyAttachment{Ref: a.GetRef(), Name: a.GetName(), MIMEType: a.GetMimeType(), Size: a.GetSize()})
	}
	return r
}

func headersToProto(h map[string][]string) map[string]*channelv1.HeaderValues {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*channelv1.HeaderValues, len(h))
	for k, v := range h {
		out[k] = &channelv1.HeaderValues{Values: append([]string(nil), v...)}
	}
	return out
}

func headersFromProto(h map[string]*channelv1.HeaderValues) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v.GetValues()...)
	}
	return out
}

func describeToProto(d DescribeResponse) *channelv1.DescribeResponse {
	c := d.Capabilities
	p := &channelv1.DescribeResponse{
		Name: d.Name, Version: d.Version, Description: d.Description, ProtocolVersion: ProtocolVersion,
		Capabilities: &channelv1.Capabilities{
			Threads: c.Threads, FileUpload: c.FileUpload, Webhooks: c.Webhooks, Edits: c.Edits,
			OwnConnection: c.OwnConnection, ReplyAttachments: c.ReplyAttachments, Formatting: string(c.Formatting),
			Lifecycle: c.Lifecycle, Reactions: c.Reactions,
		},
	}
	for _, k := range d.ConfigKeys {
		p.ConfigKeys = append(p.ConfigKeys, &channelv1.ConfigKey{Name: k.Name, Description: k.Description, Required: k.Required, Secret: k.Secret, Default: k.Default})
	}
	return p
}

func describeFromProto(p *channelv1.DescribeResponse) DescribeResponse {
	c := p.GetCapabilities()
	d := DescribeResponse{
		Name: p.GetName(), Version: p.GetVersion(), Description: p.GetDescription(),
		Capabilities: Capabilities{
			Threads: c.GetThreads(), FileUpload: c.GetFileUpload(), Webhooks: c.GetWebhooks(), Edits: c.GetEdits(),
			OwnConnection: c.GetOwnConnection(), ReplyAttachments: c.GetReplyAttachments(), Formatting: Formatting(c.GetFormatting()),
			Lifecycle: c.GetLifecycle(), Reactions: c.GetReactions(),
		},
	}
	for _, k := range p.GetConfigKeys() {
		d.ConfigKeys = append(d.ConfigKeys, ConfigKey{Name: k.GetName(), Description: k.GetDescription(), Required: k.GetRequired(), Secret: k.GetSecret(), Default: k.GetDefault()})
	}
	return d
}
