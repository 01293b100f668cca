package helpscoutchannel_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/plugintest"
)

func TestFirstMessageCreatesConversationLaterOnesAddThreads(t *testing.T) {
	e := setup(t, nil)
	first := text("m1", "Hello <team> & friends,\nmy order #123 is late and nobody answers the phone at all")
	ref := e.mustDeliver(t, first, nil)

	conv := e.conversation(t, ref)
	if conv.Type != "chat" || conv.Status != "active" || conv.MailboxID != e.fake.MailboxID() {
		t.Errorf("conversation type/status/mailbox = %s/%s/%d", conv.Type, conv.Status, conv.MailboxID)
	}
	if want := []string{"telegram", "vip"}; strings.Join(conv.Tags, ",") != strings.Join(want, ",") {
		t.Errorf("tags = %v, want %v", conv.Tags, want)
	}
	if !strings.HasPrefix(conv.Subject, "Hello <team> & friends, my order") || !strings.HasSuffix(conv.Subject, "…") || len([]rune(conv.Subject)) > 61 {
		t.Errorf("subject = %q, want the first words", conv.Subject)
	}
	threads := conv.CustomerThreads()
	if len(threads) != 1 || threads[0].Text != "Hello &lt;team&gt; &amp; friends,<br>my order #123 is late and nobody answers the phone at all" {
		t.Fatalf("first thread = %+v", threads)
	}

	customers := e.fake.Customers()
	if len(customers) != 1 {
		t.Fatalf("%d customers, want 1", len(customers))
	}
	cu := customers[0]
	if cu.FirstName != "Ivan" || cu.LastName != "Petrov" || len(cu.Chats) != 1 || cu.Chats[0] != (helpscoutfake.Handle{Type: "other", Value: "telegram:123456789"}) ||
		len(cu.Websites) != 1 || cu.Websites[0].Value != "https://t.me/ivan_p" || len(cu.Emails) != 0 {
		t.Errorf("customer = %+v", cu)
	}
	if threads[0].CustomerID != cu.ID || conv.CustomerID != cu.ID {
		t.Errorf("conversation customer %d, thread customer %d, want %d", conv.CustomerID, threads[0].CustomerID, cu.ID)
	}

	e.fake.SetStatus(convID(t, ref), "closed") // an agent closed it
	again := e.mustDeliver(t, text("m2", "Any news?"), ref)
	if !bytes.Equal(again, ref) {
		t.Fatalf("second message moved the lane from %s to %s", ref, again)
	}
	conv = e.conversation(t, ref)
	if n := len(conv.CustomerThreads()); n != 2 || conv.Status != "active" {
		t.Errorf("after the second message: %d customer threads, status %s; want 2, active", n, conv.Status)
	}
	if n := len(e.fake.Conversations()); n != 1 {
		t.Errorf("%d conversations, want 1", n)
	}
}

func TestRetriedFirstDeliveryDoesNotDuplicate(t *testing.T) {
	e := setup(t, nil)
	a := e.mustDeliver(t, text("m1", "hi"), nil)
	b := e.mustDeliver(t, text("m1", "hi"), nil) // the host never saw the first answer
	if !bytes.Equal(a, b) || len(e.fake.Conversations()) != 1 || len(e.fake.Customers()) != 1 {
		t.Errorf("refs %s, %s; %d conversations, %d customers; want one of each", a, b, len(e.fake.Conversations()), len(e.fake.Customers()))
	}
}

func TestCustomerNamesFitHelpScout(t *testing.T) {
	tests := []struct {
		name        string
		contact     sdk.Contact
		first, last string
	}{
		{"emoji count twice", sdk.Contact{TelegramUserID: 1, FirstName: strings.Repeat("😀", 25)}, strings.Repeat("😀", 20), ""},
		{"no name at all", sdk.Contact{TelegramUserID: 2}, "Telegram user 2", ""},
		{"username only", sdk.Contact{TelegramUserID: 3, Username: "only_user"}, "@only_user", ""},
		{"rtl", sdk.Contact{TelegramUserID: 4, FirstName: "مريم", LastName: "حداد"}, "مريم", "حداد"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil)
			if _, err := e.ch.Deliver(ctx(t), sdk.DeliverRequest{Contact: tt.contact, Message: text("m", "hi")}); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			cu := e.fake.Customers()[0]
			if cu.FirstName != tt.first || cu.LastName != tt.last {
				t.Errorf("customer name %q %q, want %q %q", cu.FirstName, cu.LastName, tt.first, tt.last)
			}
		})
	}
}

func TestStickerWithoutTextStillHasSubjectAndText(t *testing.T) {
	e := setup(t, nil)
	ref := e.mustDeliver(t, sdk.Message{ID: "s", Kind: sdk.KindSticker}, nil)
	conv := e.conversation(t, ref)
	if conv.Subject != "Telegram: Ivan Petrov" || conv.Threads[0].Text == "" {
		t.Errorf("subject %q, text %q", conv.Subject, conv.Threads[0].Text)
	}
}

func TestMergedConversationFollowsTheMerge(t *testing.T) {
	e := setup(t, nil)
	old := e.mustDeliver(t, text("m1", "first"), nil)
	other := e.mustDeliver(t, text("m2", "another case"), nil)
	e.fake.Merge(convID(t, old), convID(t, other))

	got := e.mustDeliver(t, text("m3", "after the merge"), old)
	if !bytes.Equal(got, other) {
		t.Fatalf("lane moved to %s, want the surviving conversation %s", got, other)
	}
	threads := e.conversation(t, other).CustomerThreads()
	if last := threads[len(threads)-1]; last.Text != "after the merge" {
		t.Errorf("last thread of the surviving conversation = %q", last.Text)
	}
}

func TestGoneOrFullConversationStartsANewOneLinkingTheOld(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(e env, ref []byte) []byte
	}{
		{"full (412)", func(e env, ref []byte) []byte {
			e.fake.SetThreadLimit(3)
			e.mustDeliver(t, text("m2", "second"), ref) // 2 threads: the next one hits the cap
			return ref
		}},
		{"deleted (404, no redirect)", func(e env, ref []byte) []byte { return []byte("999999") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil)
			ref := tt.prepare(e, e.mustDeliver(t, text("m1", "first"), nil))
			got := e.mustDeliver(t, text("m9", "must not be lost"), ref)
			e.fake.SetThreadLimit(100)
			if bytes.Equal(got, ref) {
				t.Fatalf("lane stayed on %s", ref)
			}
			conv := e.conversation(t, got)
			if ct := conv.CustomerThreads(); len(ct) != 1 || ct[0].Text != "must not be lost" {
				t.Errorf("new conversation's customer threads = %+v", ct)
			}
			var linked bool
			for _, th := range conv.Threads {
				linked = linked || th.Type == "note" && strings.Contains(th.Text, "conversation/"+string(ref))
			}
			if !linked {
				t.Errorf("new conversation has no note linking %s: %+v", ref, conv.Threads)
			}
			if len(e.fake.Customers()) != 1 {
				t.Errorf("%d customers, want the same one reused", len(e.fake.Customers()))
			}
			// Later messages go to the new conversation.
			if next := e.mustDeliver(t, text("m10", "next"), got); !bytes.Equal(next, got) {
				t.Errorf("next message went to %s, want %s", next, got)
			}
		})
	}
}

func TestExpiredTokenIsRefreshedOnce(t *testing.T) {
	e := setup(t, nil)
	ref := e.mustDeliver(t, text("m1", "hi"), nil)
	before := e.fake.TokenRequests()
	e.fake.ExpireTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.deliver(t, text("p"+string(rune('a'+i)), "parallel"), ref)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Deliver after token expiry: %v", err)
		}
	}
	if got := e.fake.TokenRequests() - before; got != 1 {
		t.Errorf("%d token requests after expiry, want exactly 1", got)
	}
}

func TestRevokedAppFailsPermanentlyWithoutLooping(t *testing.T) {
	e := setup(t, nil)
	ref := e.mustDeliver(t, text("m1", "hi"), nil)
	before := e.fake.TokenRequests()
	e.fake.ExpireTokens()
	if err := e.fake.Inject(helpscoutfake.Fault{Path: "^/v2/oauth2/token$", Status: http.StatusUnauthorized, Times: 100}); err != nil {
		t.Fatal(err)
	}
	_, err := e.deliver(t, text("m2", "hi"), ref)
	plugintest.AssertPermanent(t, err)
	if got := e.fake.TokenRequests() - before; got > 1 {
		t.Errorf("%d token requests, want at most 1", got)
	}
	plugintest.AssertNoSecret(t, err.Error(), e.fake.AppSecret())
}

func TestHelpScoutErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name  string
		fault helpscoutfake.Fault
		check func(t *testing.T, err error)
	}{
		{"429 waits as asked", helpscoutfake.Fault{Status: 429, Header: http.Header{"X-Ratelimit-Retry-After": {"7"}}},
			func(t *testing.T, err error) { plugintest.AssertRetryAfter(t, err, 7*time.Second) }},
		{"validation error is permanent and says what", helpscoutfake.Fault{Status: 400, Header: http.Header{"Content-Type": {"application/vnd.error+json"}},
			Body: `{"logRef":"abc#1","message":"Bad request","_embedded":{"errors":[{"path":"text","message":"may not be empty","source":"JSON"}]}}`},
			func(t *testing.T, err error) {
				plugintest.AssertPermanent(t, err)
				if !strings.Contains(err.Error(), "text may not be empty") || !strings.Contains(err.Error(), "abc#1") {
					t.Errorf("error %q does not name the field and logRef", err)
				}
			}},
		{"server error is retried", helpscoutfake.Fault{Status: 503},
			func(t *testing.T, err error) { plugintest.AssertTemporary(t, err) }},
		{"dropped connection is retried", helpscoutfake.Fault{Drop: true},
			func(t *testing.T, err error) { plugintest.AssertTemporary(t, err) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, nil)
			ref := e.mustDeliver(t, text("m1", "hi"), nil)
			tt.fault.Method, tt.fault.Path = "POST", "/customer$"
			if err := e.fake.Inject(tt.fault); err != nil {
				t.Fatal(err)
			}
			_, err := e.deliver(t, text("m2", "again"), ref)
			if err == nil {
				t.Fatal("Deliver succeeded through a fault")
			}
			tt.check(t, err)
			if _, err := e.deliver(t, text("m2", "again"), ref); err != nil {
				t.Errorf("retry after the fault: %v", err)
			}
		})
	}
}

func TestRealRateLimitIs429WithWait(t *testing.T) {
	e := setup(t, nil)
	ref := e.mustDeliver(t, text("m1", "hi"), nil)
	e.fake.SetRateLimit(4) // writes cost 2
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = e.deliver(t, text("burst", "burst"), ref)
	}
	if err == nil {
		t.Fatal("no 429 within the budget")
	}
	plugintest.AssertRetryAfter(t, err, time.Second)
	var retry bool
	_, retry = sdk.RetryHint(err)
	if !retry || errors.Is(err, sdk.ErrNotConfigured) {
		t.Errorf("err = %v", err)
	}
}
