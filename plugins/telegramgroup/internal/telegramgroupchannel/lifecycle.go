package telegramgroupchannel

import (
	"context"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
)

// notice posts a host notice as a short line; a close also closes the
// topic and marks its name with ✅, a reopen undoes both. The topic
// follows the notice whoever acted (this group's commands included), and
// changes first: both calls are harmless to repeat, so a retry of the
// notice posts its line once.
func (d *delivery) notice(ctx context.Context, n *sdk.Notice) (string, error) {
	switch n.Code {
	case sdk.NoticeConversationClosed, sdk.NoticeConversationReopened:
		if err := d.setTopic(ctx, n.Code == sdk.NoticeConversationClosed); err != nil {
			return "", err
		}
	}
	return d.send(ctx, noticeLine(n))
}

// setTopic closes or reopens the topic and renames it to match.
func (d *delivery) setTopic(ctx context.Context, closed bool) error {
	st := d.st
	chat, topic := st.chat(), d.ref.Topic
	method := "reopenForumTopic"
	if closed {
		method = "closeForumTopic"
	}
	err := st.call(ctx, method, d.committed, func(ctx context.Context) error {
		if closed {
			return st.bot.CloseForumTopic(ctx, &telego.CloseForumTopicParams{ChatID: chat, MessageThreadID: topic})
		}
		return st.bot.ReopenForumTopic(ctx, &telego.ReopenForumTopicParams{ChatID: chat, MessageThreadID: topic})
	})
	if err != nil && !is(err, "TOPIC_NOT_MODIFIED") {
		return err
	}
	name := topicName(d.req.Conversation, d.req.Contact, closed)
	err = st.call(ctx, "editForumTopic", d.committed, func(ctx context.Context) error {
		return st.bot.EditForumTopic(ctx, &telego.EditForumTopicParams{ChatID: chat, MessageThreadID: topic, Name: name})
	})
	if err != nil && !is(err, "TOPIC_NOT_MODIFIED") {
		return err
	}
	return nil
}
