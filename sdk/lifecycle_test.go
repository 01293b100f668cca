package sdk

import "testing"

func TestNextState(t *testing.T) {
	for _, c := range []struct {
		from ConversationState
		kind ActionKind
		want ConversationState
	}{
		{"", ActionClaim, StateClaimed},
		{StateOpen, ActionClaim, StateClaimed},
		{StateClaimed, ActionClaim, StateClaimed},
		{StateClosed, ActionClaim, StateClosed},
		{StateClaimed, ActionUnclaim, StateOpen},
		{StateOpen, ActionUnclaim, StateOpen},
		{StateClosed, ActionUnclaim, StateClosed},
		{StateOpen, ActionClose, StateClosed},
		{StateClaimed, ActionClose, StateClosed},
		{StateClosed, ActionClose, StateClosed},
		{StateClosed, ActionReopen, StateOpen},
		{StateOpen, ActionReopen, StateOpen},
		{StateClaimed, ActionReopen, StateClaimed},
	} {
		got, err := NextState(c.from, c.kind)
		if err != nil || got != c.want {
			t.Errorf("NextState(%q, %q) = %q, %v; want %q", c.from, c.kind, got, err, c.want)
		}
	}
	if _, err := NextState(StateOpen, "archive"); err == nil {
		t.Error("an unknown action was accepted")
	}
}

func TestNoticeCodeLifecycle(t *testing.T) {
	for _, c := range []NoticeCode{NoticeConversationClaimed, NoticeConversationUnclaimed, NoticeConversationClosed,
		NoticeConversationReopened, NoticeActionIgnored, NoticeRating} {
		if !c.Lifecycle() {
			t.Errorf("%s is a lifecycle notice", c)
		}
	}
	for _, c := range []NoticeCode{NoticeUserBlocked, NoticeDeliveryFailed, NoticeDataErased, ""} {
		if c.Lifecycle() {
			t.Errorf("%q is not a lifecycle notice", c)
		}
	}
}
