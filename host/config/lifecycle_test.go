package config

import (
	"testing"
	"time"
)

func TestConversations(t *testing.T) {
	c := mustParse(t, minimal, nil)
	if cv := c.Conversations; cv.AfterClose != "new" || cv.ReopenWithin.Duration != time.Hour || cv.CloseAfter.Duration != 0 ||
		cv.Rating.Enabled || cv.Rating.Question != "How did we do?" || cv.Rating.Thanks != "Thank you for your feedback!" || cv.Rating.AfterIdleClose ||
		cv.SeenReaction != "" {
		t.Errorf("defaults: %+v", cv)
	}
	c = mustParse(t, minimal+`[conversations]
after_close = "reopen"
reopen_within = "0s"
close_after = "3d"
seen_reaction = "❤️"
[conversations.rating]
enabled = true
question = "Rate us"
after_idle_close = true
`, nil)
	if cv := c.Conversations; cv.AfterClose != "reopen" || cv.ReopenWithin.Duration != 0 || cv.CloseAfter.Duration != 72*time.Hour ||
		!cv.Rating.Enabled || cv.Rating.Question != "Rate us" || !cv.Rating.AfterIdleClose || cv.SeenReaction != "❤" {
		t.Errorf("set: %+v", cv)
	}
	for text, key := range map[string]string{
		"[conversations]\nafter_close = \"archive\"\n":                "conversations.after_close",
		"[conversations]\nreopen_within = \"-1h\"\n":                  "conversations.reopen_within",
		"[conversations]\nclose_after = \"10ms\"\n":                   "conversations.close_after",
		"[conversations.rating]\nenabled = true\nquestion = \"  \"\n": "conversations.rating.question",
		"[conversations.rating]\nenabled = true\nthanks = \"\"\n":     "conversations.rating.thanks",
		"[conversations.rating]\nenabeld = true\n":                    "conversations.rating.enabeld",
		"[conversations]\nrating = 5\n":                               "conversations.rating",
		"[conversations]\nseen_reaction = \"🦆\"\n":                    "conversations.seen_reaction",
		"[conversations]\nseen_reaction = \"eyes\"\n":                 "conversations.seen_reaction",
	} {
		errs := parseProblems(t, minimal+text, nil)
		if len(errs) != 1 || errs[0].Key != key {
			t.Errorf("%q: problems %v, want one about %s", text, errs, key)
		}
	}
}
