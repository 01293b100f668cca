// Command actiondesk is a test channel plugin for the end-to-end tests of
// conversation lifecycles, standing in for a desk that reports agents'
// actions until the real desks' plugins do.
//
// Config: {"log": path}. Deliver appends one JSON line per delivery to
// the log (conversation id, number, previous id and number, the previous
// thread ref, the message's kind, text and notice) and answers thread ref
// "t-<conversation id>".
//
// HandleWebhook takes a JSON body {"actions": [sdk.Action as JSON]}: on
// path "/" it answers them as WebhookResponse.Actions (the host applies
// them); on "/post" it sends each with Host.PostAction and answers the
// results as JSON (422 for a permanent error).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync"

	"github.com/parley-dev/parley/sdk"
)

type desk struct {
	mu   sync.Mutex
	log  string
	host sdk.Host
}

// Entry is one line of the log.
type Entry struct {
	ConversationID    string      `json:"conversation_id"`
	Number            int64       `json:"number"`
	State             string      `json:"state"`
	PreviousID        string      `json:"previous_id"`
	PreviousNumber    int64       `json:"previous_number"`
	PreviousThreadRef string      `json:"previous_thread_ref"`
	Kind              string      `json:"kind"`
	Text              string      `json:"text"`
	MessageID         string      `json:"message_id"`
	Notice            *sdk.Notice `json:"notice,omitempty"`
}

func (d *desk) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name: "actiondesk", Version: "0.0.1",
		Capabilities: sdk.Capabilities{Threads: true, Webhooks: true, Formatting: "plain", Lifecycle: true},
		ConfigKeys:   []sdk.ConfigKey{{Name: "log", Required: true}},
	}, nil
}

func (d *desk) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var cfg struct {
		Log string `json:"log"`
	}
	if err := req.Decode(&cfg); err != nil || cfg.Log == "" {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Key: "log", Message: "is required"}}}, nil
	}
	d.mu.Lock()
	d.log, d.host = cfg.Log, req.Host
	d.mu.Unlock()
	return sdk.ConfigureResponse{}, nil
}

func (d *desk) Deliver(_ context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	e := Entry{ConversationID: req.Conversation.ID, Number: req.Conversation.Number, State: string(req.Conversation.State),
		PreviousID: req.Conversation.PreviousID, PreviousNumber: req.Conversation.PreviousNumber,
		PreviousThreadRef: string(req.PreviousThreadRef), Kind: string(req.Message.Kind), Text: req.Message.Text,
		MessageID: req.Message.ID, Notice: req.Message.Notice}
	line, err := json.Marshal(e)
	if err != nil {
		return sdk.DeliverResponse{}, sdk.Permanent(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(d.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return sdk.DeliverResponse{}, err
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return sdk.DeliverResponse{}, err
	}
	return sdk.DeliverResponse{ThreadRef: []byte("t-" + req.Conversation.ID), DeskMessageID: req.Message.ID}, nil
}

func (d *desk) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	var body struct {
		Actions []sdk.Action `json:"actions"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return sdk.WebhookResponse{Status: http.StatusBadRequest, Body: []byte(err.Error())}, nil
	}
	if req.Path != "/post" {
		return sdk.WebhookResponse{Status: http.StatusOK, Body: []byte("ok"), Actions: body.Actions}, nil
	}
	d.mu.Lock()
	host := d.host
	d.mu.Unlock()
	var out []sdk.ActionResult
	for _, a := range body.Actions {
		res, err := host.PostAction(ctx, a)
		if err != nil {
			status := http.StatusServiceUnavailable
			var re *sdk.RemoteError
			if sdk.IsPermanent(err) || (errors.As(err, &re) && re.Code == "InvalidArgument") {
				status = http.StatusUnprocessableEntity
			}
			return sdk.WebhookResponse{Status: status, Body: []byte(err.Error())}, nil
		}
		out = append(out, res)
	}
	b, _ := json.Marshal(out)
	return sdk.WebhookResponse{Status: http.StatusOK, Body: b}, nil
}

func main() { sdk.Serve(&desk{}) }
