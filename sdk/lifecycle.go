package sdk

import "fmt"

// NextState is the conversation lifecycle's one state machine, shared by
// the host and the test harness: the state a conversation in state s is in
// after an action of kind k. An action that does not apply (closing a
// closed conversation, claiming a closed one, reopening an open one)
// leaves s as it is; the host tells the desk so. An empty s reads as open.
//
//	open    --claim-->   claimed   --unclaim--> open
//	open, claimed --close--> closed --reopen--> open
func NextState(s ConversationState, k ActionKind) (ConversationState, error) {
	if s == "" {
		s = StateOpen
	}
	switch k {
	case ActionClaim:
		if s == StateClosed {
			return s, nil
		}
		return StateClaimed, nil
	case ActionUnclaim:
		if s == StateClaimed {
			return StateOpen, nil
		}
		return s, nil
	case ActionClose:
		return StateClosed, nil
	case ActionReopen:
		if s == StateClosed {
			return StateOpen, nil
		}
		return s, nil
	}
	return s, fmt.Errorf("unknown action %q: want claim, unclaim, close or reopen", k)
}
