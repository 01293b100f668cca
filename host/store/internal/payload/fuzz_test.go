package payload

import (
	"bytes"
	"testing"
)

// FuzzDecode reads any bytes as a stored message, reply and id list: it
// never panics, and what decodes encodes to a form that decodes to the
// same value (a row rewritten by a newer version reads back unchanged).
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"tg:5551234:17","time":"2026-01-01T00:00:00Z","kind":"text","text":"Hello 👋","entities":[{"type":"bold","offset":6,"length":1}],"telegram_message_id":17}`))
	f.Add([]byte(`{"id":"tg:5551234:18","time":"2026-01-01T00:00:05Z","kind":"photo","text":"🖼 Photo\ncaption","attachments":[{"name":"photo.jpg","mime_type":"image/jpeg","size":98775,"file_ref":"AgACph-l","kind":"photo","width":1280,"height":960}],"media_group_id":"13579","reply_to":{"message_id":"tg:5551234:16","text":"How can we help?","from_bot":true},"forward":{"from":"Carl","original_time":"2025-12-31T23:00:00+01:00"}}`))
	f.Add([]byte(`{"id":"n1","time":"0001-01-01T00:00:00Z","kind":"notice","notice":{"code":"reply_failed","text":"blocked","reply_external_id":"r9"},"location":{"latitude":52.52,"longitude":13.4,"title":"Cafe","address":"Main St 1","map_url":"https://maps.example/?q=52.52,13.4"},"shared_contact":{"first_name":"Bob","phone_number":"+49151","telegram_user_id":777},"poll":{"question":"Which?","options":["A","B"]},"sticker_emoji":"😀","edit_of":"tg:1:2"}`))
	f.Add([]byte(`{"thread_ref":"QzEyMzoxNzY3MjI1NjAwLjAwMDEwMA==","conversation_id":"c1","external_id":"1767225600.000200","author":"Anna","text":"<b>Hi</b> there","format":"telegram_html","attachments":[{"ref":"F123","name":"a.png","mime_type":"image/png","size":10}],"edit_of":"1767225600.000100"}`))
	f.Add([]byte(`{"external_id":"r1","format":"markdown"}`))
	f.Add([]byte(`[17,18,-1,9223372036854775807]`))
	f.Add([]byte(`{"time":"0000-01-01T00:00:00+01:00","entities":[{"offset":-5,"length":1e3}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := DecodeMessage(b); err == nil {
			enc, err := EncodeMessage(m)
			if err != nil {
				// Only a time outside the years JSON can hold (an offset
				// moving year 0 to -1) may fail: EncodeMessage writes UTC,
				// so no stored row has one.
				if m.Time.UTC().Year() >= 0 && m.Time.UTC().Year() <= 9999 && (m.Forward == nil ||
					m.Forward.OriginalTime.UTC().Year() >= 0 && m.Forward.OriginalTime.UTC().Year() <= 9999) {
					t.Fatalf("decoded message does not encode: %v", err)
				}
				return
			}
			m2, err := DecodeMessage(enc)
			if err != nil {
				t.Fatalf("re-encoded message does not decode: %v\n%s", err, enc)
			}
			if enc2, _ := EncodeMessage(m2); !bytes.Equal(enc, enc2) {
				t.Fatalf("message changes on a round trip:\n%s\n%s", enc, enc2)
			}
		}
		if r, err := DecodeReply(b); err == nil {
			enc, err := EncodeReply(r)
			if err != nil {
				t.Fatalf("decoded reply does not encode: %v", err)
			}
			r2, err := DecodeReply(enc)
			if err != nil {
				t.Fatalf("re-encoded reply does not decode: %v\n%s", err, enc)
			}
			if enc2, _ := EncodeReply(r2); !bytes.Equal(enc, enc2) {
				t.Fatalf("reply changes on a round trip:\n%s\n%s", enc, enc2)
			}
		}
		if ids, err := DecodeIDs(b); err == nil {
			enc, err := EncodeIDs(ids)
			if err != nil {
				t.Fatalf("decoded ids do not encode: %v", err)
			}
			if back, err := DecodeIDs(enc); err != nil || len(back) != len(ids) {
				t.Fatalf("ids %v came back as %v (%v)", ids, back, err)
			}
		}
	})
}
