package sdk

// The plugin's half of the conversions between the SDK's plain Go types and
// the protocol's protobuf types: what a plugin receives and what it sends.
// Plugin authors never see the protobuf side. The host's half is in
// package sdk/pluginclient; the helpers both use are in sdk/internal/wire.

import (
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"github.com/parley-dev/parley/sdk/grpcplugin"
	"github.com/parley-dev/parley/sdk/internal/wire"
)

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
		StartedAt: wire.TsFromProto(c.GetStartedAt()), StartPayload: c.GetStartPayload(), Blocked: c.GetBlocked(),
		State: ConversationState(c.GetState()), ClaimedBy: c.GetClaimedBy(), PreviousID: c.GetPreviousId(), PreviousNumber: c.GetPreviousNumber(),
		Bot: c.GetBot(), Business: businessFromProto(c.GetBusiness()),
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

func messageFromProto(p *channelv1.Message) Message {
	if p == nil {
		return Message{}
	}
	m := Message{
		ID: p.GetId(), Time: wire.TsFromProto(p.GetTime()), Kind: Kind(wire.KindFromProto[p.GetKind()]), Text: p.GetText(),
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
		m.Forward = &Forward{From: f.GetFrom(), OriginalTime: wire.TsFromProto(f.GetOriginalTime())}
	}
	if q := p.GetReplyTo(); q != nil {
		m.ReplyTo = &Quote{MessageID: q.GetMessageId(), Text: q.GetText(), FromBot: q.GetFromBot()}
	}
	if n := p.GetNotice(); n != nil {
		m.Notice = noticeFromProto(n)
	}
	return m
}

func noticeFromProto(n *channelv1.Notice) *Notice {
	return &Notice{
		Code: NoticeCode(n.GetCode()), Text: n.GetText(), ReplyExternalID: n.GetReplyExternalId(),
		Agent: n.GetAgent(), Reason: n.GetReason(), Score: int(n.GetScore()), Scale: int(n.GetScale()),
		SourceChannel: n.GetSourceChannel(), ActionExternalID: n.GetActionExternalId(), State: ConversationState(n.GetState()),
		Emoji: n.GetEmoji(), Removed: n.GetRemoved(), MessageID: n.GetMessageId(), Channels: n.GetChannels(),
	}
}

func actionToProto(a Action) *channelv1.Action {
	return &channelv1.Action{
		Kind: wire.ActionKinds[string(a.Kind)], ThreadRef: a.ThreadRef, ConversationId: a.ConversationID,
		ExternalId: a.ExternalID, Agent: a.Agent, MessageId: a.MessageID, DeskMessageId: a.DeskMessageID,
		Emoji: a.Emoji, ReplyExternalId: a.ReplyExternalID, Channels: a.Channels,
	}
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

func describeToProto(d DescribeResponse) *channelv1.DescribeResponse {
	c := d.Capabilities
	p := &channelv1.DescribeResponse{
		Name: d.Name, Version: d.Version, Description: d.Description, ProtocolVersion: grpcplugin.ProtocolVersion,
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
