package slackchannel

import (
	"fmt"
	"strings"
)

// threadRef finds a conversation's thread again: the channel and the ts of
// the parent message. It crosses the protocol as "channelID:ts", readable
// in the host's store and stable across plugin versions.
type threadRef struct {
	Channel string
	TS      string
}

func (r threadRef) zero() bool { return r.Channel == "" && r.TS == "" }

func (r threadRef) encode() []byte { return []byte(r.Channel + ":" + r.TS) }

func parseThreadRef(b []byte) (threadRef, error) {
	if len(b) == 0 {
		return threadRef{}, nil
	}
	ch, ts, ok := strings.Cut(string(b), ":")
	if !ok || ch == "" || ts == "" {
		return threadRef{}, fmt.Errorf("thread ref %q is not channel:ts", b)
	}
	return threadRef{Channel: ch, TS: ts}, nil
}
