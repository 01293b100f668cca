// Package payload is the JSON form in which store drivers keep messages and
// replies.
//
// The structs here mirror sdk.Message and sdk.Reply with explicit, stable
// field names instead of encoding the SDK types directly: renaming a Go
// field in the SDK must not orphan rows already on disk, and a PostgreSQL
// driver must read exactly what the SQLite driver wrote. A field added to
// the SDK needs a field here too; the round-trip test fails until it has one.
package payload

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-dev/parley/sdk"
)

type message struct {
	ID                string         `json:"id"`
	Time              time.Time      `json:"time"`
	Kind              string         `json:"kind"`
	Text              string         `json:"text,omitempty"`
	Entities          []entity       `json:"entities,omitempty"`
	Attachments       []attachment   `json:"attachments,omitempty"`
	EditOf            string         `json:"edit_of,omitempty"`
	Location          *location      `json:"location,omitempty"`
	SharedContact     *sharedContact `json:"shared_contact,omitempty"`
	Poll              *poll          `json:"poll,omitempty"`
	Forward           *forward       `json:"forward,omitempty"`
	ReplyTo           *quote         `json:"reply_to,omitempty"`
	MediaGroupID      string         `json:"media_group_id,omitempty"`
	StickerEmoji      string         `json:"sticker_emoji,omitempty"`
	Notice            *notice        `json:"notice,omitempty"`
	TelegramMessageID int64          `json:"telegram_message_id,omitempty"`
	OutsideHours      bool           `json:"outside_hours,omitempty"`
}

type entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

type attachment struct {
	Name            string `json:"name,omitempty"`
	MIMEType        string `json:"mime_type,omitempty"`
	Size            int64  `json:"size,omitempty"`
	URL             string `json:"url,omitempty"`
	TooLarge        bool   `json:"too_large,omitempty"`
	FileRef         string `json:"file_ref,omitempty"`
	Kind            string `json:"kind,omitempty"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
	DurationSeconds int    `json:"duration_seconds,omitempty"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Title     string  `json:"title,omitempty"`
	Address   string  `json:"address,omitempty"`
	MapURL    string  `json:"map_url,omitempty"`
}

type sharedContact struct {
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
	PhoneNumber    string `json:"phone_number,omitempty"`
	TelegramUserID int64  `json:"telegram_user_id,omitempty"`
}

type poll struct {
	Question string   `json:"question"`
	Options  []string `json:"options,omitempty"`
}

type forward struct {
	From         string    `json:"from,omitempty"`
	OriginalTime time.Time `json:"original_time"`
}

type quote struct {
	MessageID string `json:"message_id,omitempty"`
	Text      string `json:"text,omitempty"`
	FromBot   bool   `json:"from_bot,omitempty"`
}

type notice struct {
	Code             string `json:"code"`
	Text             string `json:"text,omitempty"`
	ReplyExternalID  string `json:"reply_external_id,omitempty"`
	Agent            string `json:"agent,omitempty"`
	Reason           string `json:"reason,omitempty"`
	Score            int    `json:"score,omitempty"`
	Scale            int    `json:"scale,omitempty"`
	SourceChannel    string `json:"source_channel,omitempty"`
	ActionExternalID string `json:"action_external_id,omitempty"`
	State            string `json:"state,omitempty"`
	// Wave-2 fields (reactions, deletes, transfers).
	Emoji     string   `json:"emoji,omitempty"`
	Removed   bool     `json:"removed,omitempty"`
	MessageID string   `json:"message_id,omitempty"`
	Channels  []string `json:"channels,omitempty"`
}

type reply struct {
	ThreadRef      []byte            `json:"thread_ref,omitempty"`
	ConversationID string            `json:"conversation_id,omitempty"`
	ExternalID     string            `json:"external_id"`
	Author         string            `json:"author,omitempty"`
	Text           string            `json:"text,omitempty"`
	Format         string            `json:"format,omitempty"`
	Attachments    []replyAttachment `json:"attachments,omitempty"`
	EditOf         string            `json:"edit_of,omitempty"`
}

type replyAttachment struct {
	Ref      string `json:"ref"`
	Name     string `json:"name,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
}

// Text formats by name: the SDK's numbers are Go constants, and a reordered
// iota must not turn stored HTML into plain text.
var formatNames = map[sdk.TextFormat]string{
	sdk.FormatPlain:        "plain",
	sdk.FormatTelegramHTML: "telegram_html",
}

// EncodeMessage returns the stored form of m.
func EncodeMessage(m sdk.Message) ([]byte, error) {
	p := message{
		ID: m.ID, Time: m.Time.UTC(), Kind: string(m.Kind), Text: m.Text, EditOf: m.EditOf,
		MediaGroupID: m.MediaGroupID, StickerEmoji: m.StickerEmoji, TelegramMessageID: m.TelegramMessageID,
		OutsideHours: m.OutsideHours,
	}
	for _, e := range m.Entities {
		p.Entities = append(p.Entities, entity(e))
	}
	for _, a := range m.Attachments {
		p.Attachments = append(p.Attachments, attachment(a))
	}
	if l := m.Location; l != nil {
		p.Location = &location{Latitude: l.Latitude, Longitude: l.Longitude, Title: l.Title, Address: l.Address, MapURL: l.MapURL}
	}
	if c := m.SharedContact; c != nil {
		p.SharedContact = &sharedContact{FirstName: c.FirstName, LastName: c.LastName, PhoneNumber: c.PhoneNumber, TelegramUserID: c.TelegramUserID}
	}
	if q := m.Poll; q != nil {
		p.Poll = &poll{Question: q.Question, Options: q.Options}
	}
	if f := m.Forward; f != nil {
		p.Forward = &forward{From: f.From, OriginalTime: f.OriginalTime.UTC()}
	}
	if q := m.ReplyTo; q != nil {
		p.ReplyTo = &quote{MessageID: q.MessageID, Text: q.Text, FromBot: q.FromBot}
	}
	if n := m.Notice; n != nil {
		p.Notice = &notice{Code: string(n.Code), Text: n.Text, ReplyExternalID: n.ReplyExternalID, Agent: n.Agent, Reason: n.Reason,
			Score: n.Score, Scale: n.Scale, SourceChannel: n.SourceChannel, ActionExternalID: n.ActionExternalID, State: string(n.State),
			Emoji: n.Emoji, Removed: n.Removed, MessageID: n.MessageID, Channels: n.Channels}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding message %s: %w", m.ID, err)
	}
	return b, nil
}

// DecodeMessage reads a message stored by EncodeMessage.
func DecodeMessage(b []byte) (sdk.Message, error) {
	var p message
	if err := json.Unmarshal(b, &p); err != nil {
		return sdk.Message{}, fmt.Errorf("decoding a stored message: %w", err)
	}
	m := sdk.Message{
		ID: p.ID, Time: p.Time, Kind: sdk.Kind(p.Kind), Text: p.Text, EditOf: p.EditOf,
		MediaGroupID: p.MediaGroupID, StickerEmoji: p.StickerEmoji, TelegramMessageID: p.TelegramMessageID,
		OutsideHours: p.OutsideHours,
	}
	for _, e := range p.Entities {
		m.Entities = append(m.Entities, sdk.Entity(e))
	}
	for _, a := range p.Attachments {
		m.Attachments = append(m.Attachments, sdk.Attachment(a))
	}
	if l := p.Location; l != nil {
		m.Location = &sdk.Location{Latitude: l.Latitude, Longitude: l.Longitude, Title: l.Title, Address: l.Address, MapURL: l.MapURL}
	}
	if c := p.SharedContact; c != nil {
		m.SharedContact = &sdk.SharedContact{FirstName: c.FirstName, LastName: c.LastName, PhoneNumber: c.PhoneNumber, TelegramUserID: c.TelegramUserID}
	}
	if q := p.Poll; q != nil {
		m.Poll = &sdk.Poll{Question: q.Question, Options: q.Options}
	}
	if f := p.Forward; f != nil {
		m.Forward = &sdk.Forward{From: f.From, OriginalTime: f.OriginalTime}
	}
	if q := p.ReplyTo; q != nil {
		m.ReplyTo = &sdk.Quote{MessageID: q.MessageID, Text: q.Text, FromBot: q.FromBot}
	}
	if n := p.Notice; n != nil {
		m.Notice = &sdk.Notice{Code: sdk.NoticeCode(n.Code), Text: n.Text, ReplyExternalID: n.ReplyExternalID, Agent: n.Agent, Reason: n.Reason,
			Score: n.Score, Scale: n.Scale, SourceChannel: n.SourceChannel, ActionExternalID: n.ActionExternalID, State: sdk.ConversationState(n.State),
			Emoji: n.Emoji, Removed: n.Removed, MessageID: n.MessageID, Channels: n.Channels}
	}
	return m, nil
}

// EncodeReply returns the stored form of r.
func EncodeReply(r sdk.Reply) ([]byte, error) {
	format, ok := formatNames[r.Format]
	if !ok {
		return nil, fmt.Errorf("encoding reply %s: unknown text format %d", r.ExternalID, r.Format)
	}
	p := reply{
		ThreadRef: r.ThreadRef, ConversationID: r.ConversationID, ExternalID: r.ExternalID,
		Author: r.Author, Text: r.Text, Format: format, EditOf: r.EditOf,
	}
	for _, a := range r.Attachments {
		p.Attachments = append(p.Attachments, replyAttachment(a))
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding reply %s: %w", r.ExternalID, err)
	}
	return b, nil
}

// DecodeReply reads a reply stored by EncodeReply.
func DecodeReply(b []byte) (sdk.Reply, error) {
	var p reply
	if err := json.Unmarshal(b, &p); err != nil {
		return sdk.Reply{}, fmt.Errorf("decoding a stored reply: %w", err)
	}
	r := sdk.Reply{
		ThreadRef: p.ThreadRef, ConversationID: p.ConversationID, ExternalID: p.ExternalID,
		Author: p.Author, Text: p.Text, EditOf: p.EditOf,
	}
	found := false
	for f, name := range formatNames {
		if name == p.Format || (p.Format == "" && f == sdk.FormatPlain) {
			r.Format, found = f, true
			break
		}
	}
	if !found {
		return sdk.Reply{}, fmt.Errorf("decoding reply %s: unknown text format %q", p.ExternalID, p.Format)
	}
	for _, a := range p.Attachments {
		r.Attachments = append(r.Attachments, sdk.ReplyAttachment(a))
	}
	return r, nil
}

// EncodeIDs returns the stored form of a list of Telegram message ids.
func EncodeIDs(ids []int64) ([]byte, error) {
	if ids == nil {
		ids = []int64{}
	}
	return json.Marshal(ids)
}

// DecodeIDs reads a list stored by EncodeIDs.
func DecodeIDs(b []byte) ([]int64, error) {
	var ids []int64
	if len(b) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(b, &ids); err != nil {
		return nil, fmt.Errorf("decoding stored telegram message ids: %w", err)
	}
	return ids, nil
}
