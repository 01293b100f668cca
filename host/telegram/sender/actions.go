package sender

import (
	"context"
	"strings"

	"github.com/mymmrac/telego"
)

// SetReaction sets the bot's reaction on a message of chatID to emoji, or
// removes it when emoji is "". Telegram refuses an emoji outside its
// reaction set with a 400 (REACTION_INVALID), returned as sdk.Permanent
// (IsReactionInvalid tells it apart).
func (s *Sender) SetReaction(ctx context.Context, chatID, messageID int64, emoji string) error {
	params := &telego.SetMessageReactionParams{ChatID: telego.ChatID{ID: chatID}, MessageID: int(messageID),
		Reaction: []telego.ReactionType{}}
	if emoji != "" {
		params.Reaction = []telego.ReactionType{&telego.ReactionTypeEmoji{Type: telego.ReactionEmoji, Emoji: emoji}}
	}
	_, err := s.call(ctx, chatID, "setMessageReaction", func(ctx context.Context) (*telego.Message, error) {
		return nil, s.bot.SetMessageReaction(ctx, params)
	})
	return err
}

// DeleteMessage deletes one message of chatID. Telegram refuses messages
// older than 48 hours (400 "message can't be deleted", sdk.Permanent); a
// message already gone ("message to delete not found") counts as deleted.
func (s *Sender) DeleteMessage(ctx context.Context, chatID, messageID int64) error {
	_, err := s.call(ctx, chatID, "deleteMessage", func(ctx context.Context) (*telego.Message, error) {
		return nil, s.bot.DeleteMessage(ctx, &telego.DeleteMessageParams{ChatID: telego.ChatID{ID: chatID}, MessageID: int(messageID)})
	})
	if e, ok := apiError(err); ok && e.ErrorCode == 400 && strings.Contains(e.Description, "message to delete not found") {
		return nil
	}
	return err
}

// Typing shows "typing…" in chatID (sendChatAction) for about five
// seconds. It skips the message rate limits: it sends no message.
func (s *Sender) Typing(ctx context.Context, chatID int64) error {
	_, err := s.callLimited(ctx, chatID, "sendChatAction", false, func(ctx context.Context) (*telego.Message, error) {
		return nil, s.bot.SendChatAction(ctx, &telego.SendChatActionParams{ChatID: telego.ChatID{ID: chatID}, Action: telego.ChatActionTyping})
	})
	return err
}

// IsReactionInvalid reports Telegram's refusal of a reaction emoji.
func IsReactionInvalid(err error) bool {
	e, ok := apiError(err)
	return ok && e.ErrorCode == 400 && strings.Contains(e.Description, "REACTION_INVALID")
}

// ProfilePhoto returns the file_id of the smallest size of at least
// minSize pixels (or else the largest) of userID's current profile photo,
// "" when there is none or privacy settings hide it.
func (s *Sender) ProfilePhoto(ctx context.Context, userID int64, minSize int) (string, error) {
	var photos *telego.UserProfilePhotos
	_, err := s.callLimited(ctx, userID, "getUserProfilePhotos", false, func(ctx context.Context) (*telego.Message, error) {
		var err error
		photos, err = s.bot.GetUserProfilePhotos(ctx, &telego.GetUserProfilePhotosParams{UserID: userID, Limit: 1})
		return nil, err
	})
	if err != nil {
		return "", err
	}
	if len(photos.Photos) == 0 || len(photos.Photos[0]) == 0 {
		return "", nil
	}
	return pickSize(photos.Photos[0], minSize).FileID, nil
}

// pickSize is the smallest size with both sides at least minSize, or the
// largest when none is that big.
func pickSize(sizes []telego.PhotoSize, minSize int) telego.PhotoSize {
	var best, largest *telego.PhotoSize
	for i := range sizes {
		p := &sizes[i]
		if largest == nil || p.Width*p.Height > largest.Width*largest.Height {
			largest = p
		}
		if min(p.Width, p.Height) >= minSize && (best == nil || p.Width*p.Height < best.Width*best.Height) {
			best = p
		}
	}
	if best == nil {
		return *largest
	}
	return *best
}
