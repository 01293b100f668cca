package telegramgroupchannel

import (
	"fmt"
	"strconv"
	"strings"
)

// threadRef names a conversation's topic: the group and the topic's
// message_thread_id, as "<group>:<topic>". The group is part of it so a
// conversation whose topic lives in a group no longer configured gets a
// new topic instead of a send into a chat the bot may have left.
type threadRef struct {
	Group int64
	Topic int
}

func (r threadRef) encode() []byte { return []byte(fmt.Sprintf("%d:%d", r.Group, r.Topic)) }

func parseRef(b []byte) (threadRef, bool) {
	g, t, ok := strings.Cut(string(b), ":")
	if !ok {
		return threadRef{}, false
	}
	group, err1 := strconv.ParseInt(g, 10, 64)
	topic, err2 := strconv.Atoi(t)
	if err1 != nil || err2 != nil || group >= 0 || topic <= 0 {
		return threadRef{}, false
	}
	return threadRef{Group: group, Topic: topic}, true
}

// topicLink is the t.me link to a topic of a supergroup (-100… ids drop
// their -100 in links), for members of the group.
func topicLink(r threadRef) string {
	id := strings.TrimPrefix(strconv.FormatInt(r.Group, 10), "-100")
	return fmt.Sprintf("https://t.me/c/%s/%d", id, r.Topic)
}
