package sender_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/parley-dev/parley/sdk"
)

// A long reply whose second message fails is resumed from the second
// message: the user gets every part once, in order.
func TestFailedPartResumes(t *testing.T) {
	e := setup(t)
	para := strings.Repeat("All work and no play. ", 100) // 2,200 characters
	reply := sdk.Reply{Text: "one " + para + "\n\ntwo " + para + "\n\nthree " + para}
	o := fast
	o.MaxAttempts = 1 // the 500 is the caller's to retry
	s := e.sender(o)
	e.fake.Inject(telegramtest.Fault{Method: "sendMessage", ChatID: ann, Skip: 1, Status: http.StatusInternalServerError})

	res, err := s.SendReply(t.Context(), ann, reply, nil)
	if err == nil {
		t.Fatal("the second part's 500 was not returned")
	}
	if len(res.Progress) != 1 || len(e.fake.SentTo(ann)) != 1 || res.Progress[0] != int64(e.fake.SentTo(ann)[0].Message.MessageID) {
		t.Fatalf("after the failure: progress %v, %d messages sent; want the first part recorded", res.Progress, len(e.fake.SentTo(ann)))
	}
	first := res.Progress

	res, err = s.ResumeReply(t.Context(), ann, reply, nil, first)
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentTo(ann)
	var prefixes []string
	for _, m := range sent {
		prefixes = append(prefixes, strings.Fields(m.Message.Text)[0])
	}
	if !slices.Equal(prefixes, []string{"one", "two", "three"}) {
		t.Errorf("the user got parts %v, want one, two, three once each", prefixes)
	}
	if len(res.MessageIDs) != 3 || res.MessageIDs[0] != first[0] || !slices.Equal(res.Progress, res.MessageIDs) {
		t.Errorf("result ids %v progress %v: want all three parts, the first from the earlier attempt", res.MessageIDs, res.Progress)
	}
}

// Files the earlier attempt could not send are reported again, not sent
// in another part's place, and the text that was to ride on them as a
// caption (and whose own message then failed) is sent once.
func TestResumeAfterAFailedFile(t *testing.T) {
	e := setup(t)
	files := newFiles()
	a := files.add("a", pngImage(t, 8, 8), sdk.FileInfo{Name: "a.png", MIMEType: "image/png"})
	b := files.add("b", pngImage(t, 8, 8), sdk.FileInfo{Name: "b.png", MIMEType: "image/png"})
	reply := sdk.Reply{Text: "see files", Attachments: []sdk.ReplyAttachment{a, b}}
	s := e.sender(fast)
	// The earlier attempt: neither file could be sent, then the text's
	// own message failed.
	res, err := s.ResumeReply(t.Context(), ann, reply, files.open, []int64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	sent := e.fake.SentTo(ann)
	if len(sent) != 1 || sent[0].Message.Text != "see files" {
		t.Fatalf("sent %d messages (%+v): want only the text", len(sent), sent)
	}
	if len(res.Failed) != 2 || res.Failed[0].Name != "a.png" || res.Failed[1].Name != "b.png" {
		t.Errorf("failed %+v: want a.png and b.png reported", res.Failed)
	}
	if len(res.MessageIDs) != 1 || !slices.Equal(res.Progress, []int64{0, 0, res.MessageIDs[0]}) {
		t.Errorf("ids %v, progress %v: want the text's message after the two failed files", res.MessageIDs, res.Progress)
	}
}
