package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// logDesk is the smallest useful channel: it "posts" to a desk that is a
// print statement. A real plugin's main is just sdk.Serve(&logDesk{}).
type logDesk struct{}

func (logDesk) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name: "logdesk", Version: "1.0.0",
		Capabilities: sdk.Capabilities{Threads: true, Formatting: sdk.FormattingMarkdown},
	}, nil
}

func (logDesk) Configure(context.Context, sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	return sdk.ConfigureResponse{}, nil
}

func (logDesk) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	if err := ctx.Err(); err != nil {
		return sdk.DeliverResponse{}, err
	}
	ref := req.ThreadRef
	if len(ref) == 0 { // first message of the conversation: open a thread
		ref = []byte("thread-" + req.Conversation.ID)
	}
	fmt.Printf("[%s] %s: %s\n", ref, req.Contact.DisplayName(), format.ToMarkdown(req.Message.Text, req.Message.Entities))
	return sdk.DeliverResponse{ThreadRef: ref, DeskMessageID: req.Message.ID}, nil
}

func (logDesk) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	return sdk.WebhookResponse{Status: 404}, nil
}

func Example() {
	var ch sdk.Channel = logDesk{}
	resp, _ := ch.Deliver(context.Background(), sdk.DeliverRequest{
		Conversation: sdk.Conversation{ID: "c1"},
		Contact:      sdk.Contact{FirstName: "Ivan"},
		Message: sdk.Message{ID: "m1", Kind: sdk.KindText, Text: "Where is my order?",
			Entities: []sdk.Entity{{Type: "bold", Offset: 9, Length: 2}}},
	})
	fmt.Printf("thread %s\n", resp.ThreadRef)
	// Output:
	// [thread-c1] Ivan: Where is **my** order?
	// thread thread-c1
}

func ExampleRetryAfter() {
	// A desk answered 429 with Retry-After: 30.
	err := sdk.RetryAfter(errors.New("desk rate limit"), 30*time.Second)
	wait, ok := sdk.RetryHint(err)
	fmt.Println(wait, ok, sdk.IsPermanent(err))
	// Output: 30s true false
}

func ExamplePermanent() {
	// A desk answered 404 for a deleted conversation: retrying cannot help.
	err := sdk.Permanent(errors.New("desk answered 404: conversation deleted"))
	fmt.Println(sdk.IsPermanent(err))
	// Output: true
}

// state is what a desk's Configure builds: the parsed table and its clients.
type state struct {
	channel string
}

type stateDesk struct {
	logDesk
	state sdk.Configured[state]
}

func ExampleConfigured() {
	d := &stateDesk{}
	_, err := d.state.Get() // Deliver before Configure
	fmt.Println(err)

	// In Configure, after the table decoded without problems:
	d.state.Set(&state{channel: "#support"})

	st, err := d.state.Get() // in Deliver
	fmt.Println(st.channel, err)
	// Output:
	// channel is not configured
	// #support <nil>
}
