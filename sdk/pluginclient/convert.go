package pluginclient

// The host's half of the conversions between the SDK's plain Go types and
// the protocol's protobuf types: what the host sends and what it reads back.
// The plugin's half is in package sdk; the helpers both use are in
// sdk/internal/wire.

import (
	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/internal/wire"
)

func conversationToProto(c sdk.Conversation) *channelv1.Conversation {
	return &channelv1.Conversation{
		Id: c.ID, Number: c.Number, TelegramChatId: c.TelegramChatID,
		StartedAt: wire.TsToProto(c.StartedAt), StartPayload: c.StartPayload, Blocked: c.Blocked,
		State: string(c.State), ClaimedBy: c.ClaimedBy, PreviousId: c.PreviousID, PreviousNumber: c.PreviousNumber,
		Bot: c.Bot, Business: businessToProto(c.Business),
	}
}

func businessToProto(b *sdk.Business) *channelv1.Business {
	if b == nil {
		return nil
	}
	return &channelv1.Business{ConnectionId: b.ConnectionID, Account: &channelv1.BusinessAccount{
		Id: b.Account.ID, Username: b.Account.Username, Name: b.Account.Name,
	}}
}

func contactToProto(c sdk.Contact) *channelv1.Contact {
	return &channelv1.Contact{
		TelegramUserId: c.TelegramUserID, FirstName: c.FirstName, LastName: c.LastName,
		Username: c.Username, LanguageCode: c.LanguageCode, PhotoUrl: c.PhotoURL,
	}
}

func messageToProto(m sdk.Message) *channelv1.Message {
	p := &channelv1.Message{
		Id: m.ID, Time: wire.TsToProto(m.Time), Kind: wire.KindToProto[string(m.Kind)], Text: m.Text,
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
		p.Forward = &channelv1.Forward{From: f.From, OriginalTime: wire.TsToProto(f.OriginalTime)}
	}
	if q := m.ReplyTo; q != nil {
		p.ReplyTo = &channelv1.Quote{MessageId: q.MessageID, Text: q.Text, FromBot: q.FromBot}
	}
	if n := m.Notice; n != nil {
		p.Notice = noticeToProto(n)
	}
	return p
}

func noticeToProto(n *sdk.Notice) *channelv1.Notice {
	return &channelv1.Notice{
		Code: string(n.Code), Text: n.Text, ReplyExternalId: n.ReplyExternalID,
		Agent: n.Agent, Reason: n.Reason, Score: int32(n.Score), Scale: int32(n.Scale),
		SourceChannel: n.SourceChannel, ActionExternalId: n.ActionExternalID, State: string(n.State),
		Emoji: n.Emoji, Removed: n.Removed, MessageId: n.MessageID, Channels: n.Channels,
	}
}

// actionFromProto maps an unknown kind (a newer plugin's) to "", which the
// host refuses with a clear error.
func actionFromProto(p *channelv1.Action) sdk.Action {
	a := sdk.Action{ThreadRef: p.GetThreadRef(), ConversationID: p.GetConversationId(), ExternalID: p.GetExternalId(), Agent: p.GetAgent(),
		MessageID: p.GetMessageId(), DeskMessageID: p.GetDeskMessageId(), Emoji: p.GetEmoji(),
		ReplyExternalID: p.GetReplyExternalId(), Channels: p.GetChannels()}
	for k, v := range wire.ActionKinds {
		if v == p.GetKind() {
			a.Kind = sdk.ActionKind(k)
		}
	}
	return a
}

func replyFromProto(p *channelv1.Reply) sdk.Reply {
	if p == nil {
		return sdk.Reply{}
	}
	r := sdk.Reply{
		ThreadRef: p.GetThreadRef(), ConversationID: p.GetConversationId(), ExternalID: p.GetExternalId(),
		Author: p.GetAuthor(), Text: p.GetText(), EditOf: p.GetEditOf(),
	}
	if p.GetFormat() == channelv1.TextFormat_TEXT_FORMAT_TELEGRAM_HTML {
		r.Format = sdk.FormatTelegramHTML
	}
	for _, a := range p.GetAttachments() {
		r.Attachments = append(r.Attachments, sdk.ReplyAttachment{Ref: a.GetRef(), Name: a.GetName(), MIMEType: a.GetMimeType(), Size: a.GetSize()})
	}
	return r
}

func describeFromProto(p *channelv1.DescribeResponse) sdk.DescribeResponse {
	c := p.GetCapabilities()
	d := sdk.DescribeResponse{
		Name: p.GetName(), Version: p.GetVersion(), Description: p.GetDescription(),
		Capabilities: sdk.Capabilities{
			Threads: c.GetThreads(), FileUpload: c.GetFileUpload(), Webhooks: c.GetWebhooks(), Edits: c.GetEdits(),
			OwnConnection: c.GetOwnConnection(), ReplyAttachments: c.GetReplyAttachments(), Formatting: sdk.Formatting(c.GetFormatting()),
			Lifecycle: c.GetLifecycle(), Reactions: c.GetReactions(),
		},
	}
	for _, k := range p.GetConfigKeys() {
		d.ConfigKeys = append(d.ConfigKeys, sdk.ConfigKey{Name: k.GetName(), Description: k.GetDescription(), Required: k.GetRequired(), Secret: k.GetSecret(), Default: k.GetDefault()})
	}
	return d
}
