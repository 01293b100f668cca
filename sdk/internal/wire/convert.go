package wire

// The protobuf helpers both halves of the type conversion use: package sdk
// converts what the plugin side receives and sends, sdk/pluginclient what
// the host side does.

import (
	"time"

	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// KindToProto maps sdk.Kind values (kept as strings: this package cannot
// name sdk's types) to the protocol's.
var KindToProto = map[string]channelv1.Kind{
	"text": channelv1.Kind_KIND_TEXT, "photo": channelv1.Kind_KIND_PHOTO,
	"document": channelv1.Kind_KIND_DOCUMENT, "audio": channelv1.Kind_KIND_AUDIO,
	"voice": channelv1.Kind_KIND_VOICE, "video": channelv1.Kind_KIND_VIDEO,
	"video_note": channelv1.Kind_KIND_VIDEO_NOTE, "animation": channelv1.Kind_KIND_ANIMATION,
	"sticker": channelv1.Kind_KIND_STICKER, "location": channelv1.Kind_KIND_LOCATION,
	"venue": channelv1.Kind_KIND_VENUE, "contact": channelv1.Kind_KIND_CONTACT,
	"poll": channelv1.Kind_KIND_POLL, "unsupported": channelv1.Kind_KIND_UNSUPPORTED,
	"notice": channelv1.Kind_KIND_NOTICE,
}

// KindFromProto is the inverse of KindToProto.
var KindFromProto = func() map[channelv1.Kind]string {
	m := make(map[channelv1.Kind]string, len(KindToProto))
	for k, v := range KindToProto {
		m[v] = k
	}
	return m
}()

// ActionKinds maps sdk.ActionKind values to the protocol's.
var ActionKinds = map[string]channelv1.ActionKind{
	"claim":    channelv1.ActionKind_ACTION_KIND_CLAIM,
	"unclaim":  channelv1.ActionKind_ACTION_KIND_UNCLAIM,
	"close":    channelv1.ActionKind_ACTION_KIND_CLOSE,
	"reopen":   channelv1.ActionKind_ACTION_KIND_REOPEN,
	"react":    channelv1.ActionKind_ACTION_KIND_REACT,
	"delete":   channelv1.ActionKind_ACTION_KIND_DELETE,
	"typing":   channelv1.ActionKind_ACTION_KIND_TYPING,
	"transfer": channelv1.ActionKind_ACTION_KIND_TRANSFER,
}

// TsToProto converts a time; the zero time is absent.
func TsToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// TsFromProto converts a timestamp; absent is the zero time.
func TsFromProto(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// HeadersToProto copies HTTP headers into the protocol's map.
func HeadersToProto(h map[string][]string) map[string]*channelv1.HeaderValues {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*channelv1.HeaderValues, len(h))
	for k, v := range h {
		out[k] = &channelv1.HeaderValues{Values: append([]string(nil), v...)}
	}
	return out
}

// HeadersFromProto is the inverse of HeadersToProto.
func HeadersFromProto(h map[string]*channelv1.HeaderValues) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v.GetValues()...)
	}
	return out
}
