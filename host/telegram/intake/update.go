package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/mymmrac/telego"
)

// Update is one update from getUpdates, decoded on its own.
type Update struct {
	// ID is the update_id (0 only if the update has none, which Telegram never sends).
	ID int64
	// Raw is the update exactly as Telegram sent it, for storing or dead-lettering.
	Raw json.RawMessage
	// Update is the decoded update, nil when telego's types cannot decode it (a new union
	// variant, an unknown ChatMember status, ...): store it as unsupported, keyed by ID.
	Update *telego.Update
	// DecodeErr says why Update is nil.
	DecodeErr error
}

// decodeBatch splits getUpdates' result array and decodes each element separately.
func decodeBatch(result json.RawMessage) ([]Update, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(result, &raws); err != nil {
		return nil, fmt.Errorf("getUpdates result is not an array: %w", err)
	}
	out := make([]Update, 0, len(raws))
	for _, raw := range raws {
		out = append(out, Decode(raw))
	}
	return out, nil
}

// Decode decodes one update as Telegram sent it (a getUpdates element or a
// webhook body). It never fails: what telego cannot decode comes back with
// Update nil and DecodeErr set, keyed by its update_id when that is readable.
func Decode(raw json.RawMessage) Update {
	u := Update{Raw: raw}
	var head struct {
		UpdateID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		u.DecodeErr = fmt.Errorf("decode update: %w", err)
		return u
	}
	u.ID = head.UpdateID
	var tu telego.Update
	body := raw
	if !utf8.Valid(body) {
		// telego's decoder keeps invalid bytes in strings, which the gRPC
		// call to a desk then refuses: replace them, as encoding/json does.
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	if err := json.Unmarshal(body, &tu); err != nil {
		u.DecodeErr = fmt.Errorf("decode update %d: %w", u.ID, err)
	} else {
		u.Update = &tu
	}
	return u
}

// nextOffset is the offset that confirms batch: its highest update_id + 1.
func nextOffset(current int64, batch []Update) int64 {
	next := current
	for _, u := range batch {
		if u.ID+1 > next {
			next = u.ID + 1
		}
	}
	return next
}
