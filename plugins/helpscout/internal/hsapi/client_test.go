package hsapi

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
)

func TestCreatedID(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   int64
		ok     bool
	}{
		{"Resource-ID", http.Header{"Resource-Id": {"1234567"}}, 1234567, true},
		{"Location only", http.Header{"Location": {"https://api.helpscout.net/v2/conversations/42"}}, 42, true},
		{"neither", http.Header{}, 0, false},
		{"garbage", http.Header{"Resource-Id": {"abc"}, "Location": {"https://x/y/"}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := createdID("create", tt.header)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("createdID = %d, %v; want %d, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestTokenIsCachedAndRenewedBeforeExpiry(t *testing.T) {
	fake, err := helpscoutfake.New(helpscoutfake.Options{TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	var mu sync.Mutex
	now := time.Now()
	c, err := New(Options{BaseURL: fake.URL(), AppID: fake.AppID(), AppSecret: fake.AppSecret(),
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.Mailbox(ctx, fake.MailboxID()); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.TokenRequests(); n != 1 {
		t.Errorf("%d token requests for 3 calls, want 1", n)
	}
	mu.Lock()
	now = now.Add(55 * time.Minute) // past 90% of the hour
	mu.Unlock()
	if _, err := c.Mailbox(ctx, fake.MailboxID()); err != nil {
		t.Fatal(err)
	}
	if n := fake.TokenRequests(); n != 2 {
		t.Errorf("%d token requests after 55 minutes, want 2 (renewed before expiry)", n)
	}
}

func TestMergedConversationAnswers301WithLocation(t *testing.T) {
	fake, err := helpscoutfake.New(helpscoutfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c, _ := New(Options{BaseURL: fake.URL(), AppID: fake.AppID(), AppSecret: fake.AppSecret()})
	ctx := context.Background()
	cust, err := c.CreateCustomer(ctx, NewCustomer{FirstName: "Ivan"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for range 2 {
		id, err := c.CreateConversation(ctx, NewConversation{Subject: "s", MailboxID: fake.MailboxID(), Type: "chat", Status: "active",
			Customer: Ref{ID: cust}, Thread: NewThread{Type: "customer", Customer: &Ref{ID: cust}, Text: "hi"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	fake.Merge(ids[0], ids[1])
	_, err = c.Conversation(ctx, ids[0], false)
	var e *Error
	if !asErr(err, &e) || e.Status != http.StatusMovedPermanently || e.Location != fake.URL()+"v2/conversations/"+itoa(ids[1]) {
		t.Errorf("Conversation(merged) = %v", err)
	}
	if _, err := c.AddCustomerThread(ctx, ids[0], NewThread{Customer: &Ref{ID: cust}, Text: "x"}); StatusOf(err) != http.StatusNotFound {
		t.Errorf("write to merged conversation: %v, want 404", err)
	}
}

func asErr(err error, e **Error) bool {
	if err == nil {
		return false
	}
	x, ok := err.(*Error)
	*e = x
	return ok
}
