package payload

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
)

// fill sets every field reachable from v to a non-zero value, so a round
// trip through the mirror structs shows any SDK field they forgot.
func fill(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	*seed++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", *seed))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*seed))
	case reflect.Uint8:
		v.SetUint(uint64(*seed % 256))
	case reflect.Float64:
		v.SetFloat(float64(*seed) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), seed)
		}
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), seed)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2024, 1, 2, 3, 4, 5, *seed, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), seed)
		}
	default:
		t.Fatalf("fill: unhandled kind %s", v.Kind())
	}
}

func TestMessageRoundTripKeepsEveryField(t *testing.T) {
	var m sdk.Message
	seed := 0
	fill(t, reflect.ValueOf(&m).Elem(), &seed)
	b, err := EncodeMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip changed the message:\n got %+v\nwant %+v", got, m)
	}
}

func TestReplyRoundTripKeepsEveryField(t *testing.T) {
	for _, format := range []sdk.TextFormat{sdk.FormatPlain, sdk.FormatTelegramHTML} {
		var r sdk.Reply
		seed := 0
		fill(t, reflect.ValueOf(&r).Elem(), &seed)
		r.Format = format
		b, err := EncodeReply(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeReply(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip changed the reply:\n got %+v\nwant %+v", got, r)
		}
	}
}

// The stored names are a schema: rows written by one version are read by
// the next, and by the other driver.
func TestStoredFieldNamesAreStable(t *testing.T) {
	b, err := EncodeMessage(sdk.Message{
		ID: "m1", Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), Kind: sdk.KindText, Text: "hi",
		EditOf: "m0", Notice: &sdk.Notice{Code: sdk.NoticeUserBlocked}, TelegramMessageID: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"m1","time":"2024-05-06T07:08:09Z","kind":"text","text":"hi","edit_of":"m0","notice":{"code":"user_blocked"},"telegram_message_id":7}`
	if string(b) != want {
		t.Errorf("message stored as\n%s\nwant\n%s", b, want)
	}
	b, err = EncodeReply(sdk.Reply{ExternalID: "r1", Text: "<b>x</b>", Format: sdk.FormatTelegramHTML, ThreadRef: []byte("t")})
	if err != nil {
		t.Fatal(err)
	}
	want = `{"thread_ref":"dA==","external_id":"r1","text":"\u003cb\u003ex\u003c/b\u003e","format":"telegram_html"}`
	if string(b) != want {
		t.Errorf("reply stored as\n%s\nwant\n%s", b, want)
	}
}

func TestUnknownFormatsAreErrors(t *testing.T) {
	if _, err := EncodeReply(sdk.Reply{ExternalID: "r", Format: sdk.TextFormat(99)}); err == nil {
		t.Error("encoding an unknown text format succeeded")
	}
	if _, err := DecodeReply([]byte(`{"external_id":"r","format":"bbcode"}`)); err == nil {
		t.Error("decoding an unknown text format succeeded")
	}
}

func TestIDsRoundTrip(t *testing.T) {
	for _, ids := range [][]int64{nil, {}, {5}, {1, 2, 3}} {
		b, err := EncodeIDs(ids)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeIDs(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ids) || (len(ids) > 0 && !reflect.DeepEqual(got, ids)) {
			t.Errorf("ids %v came back as %v", ids, got)
		}
	}
}
