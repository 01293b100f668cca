// Command echo is a test channel plugin for pluginhost.
//
// Config: {"greeting": string (required), "exit_after": duration}. With
// exit_after the process exits with status 3 that long after each
// Configure, to test giving up on a plugin that keeps crashing.
//
// Deliver answers DeskMessageID "<greeting>:<text>" and ThreadRef
// "thread-<conversation id>" (or the one it was given). Message texts with
// a meaning: "exit" ends the process mid-call with status 3; "reply" posts
// a reply through the host and answers its conversation id; "pid" answers
// the process id; "forget" drops the configuration and answers
// sdk.ErrNotConfigured, as a plugin that lost its state would.
//
// HandleWebhook answers 200 with body "<channel name> <hook base URL>".
package main

import (
	"context"
	"errors"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/parley-dev/parley/sdk"
)

type config struct {
	Greeting  string `json:"greeting"`
	ExitAfter string `json:"exit_after"`
}

type echo struct {
	mu      sync.Mutex
	cfg     *config
	name    string
	hookURL string
	host    sdk.Host
}

func (e *echo) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{
		Name: "echo", Version: "1.2.3", Description: "echoes messages back",
		Capabilities: sdk.Capabilities{Threads: true, Webhooks: true, Formatting: "plain"},
		ConfigKeys:   []sdk.ConfigKey{{Name: "greeting", Required: true}, {Name: "exit_after"}},
	}, nil
}

func (e *echo) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var raw map[string]any
	if err := req.Decode(&raw); err != nil {
		return sdk.ConfigureResponse{Errors: []sdk.ConfigError{{Message: "not a JSON object: " + err.Error()}}}, nil
	}
	var resp sdk.ConfigureResponse
	for k := range raw {
		if k != "greeting" && k != "exit_after" {
			resp.Errors = append(resp.Errors, sdk.ConfigError{Key: k, Message: "unknown key"})
		}
	}
	var cfg config
	if err := req.Decode(&cfg); err != nil {
		resp.Errors = append(resp.Errors, sdk.ConfigError{Message: err.Error()})
	}
	if cfg.Greeting == "" {
		resp.Errors = append(resp.Errors, sdk.ConfigError{Key: "greeting", Message: "is required"})
	}
	var exitAfter time.Duration
	if cfg.ExitAfter != "" {
		d, err := time.ParseDuration(cfg.ExitAfter)
		if err != nil {
			resp.Errors = append(resp.Errors, sdk.ConfigError{Key: "exit_after", Message: "is not a duration"})
		}
		exitAfter = d
	}
	if len(resp.Errors) > 0 {
		return resp, nil
	}
	e.mu.Lock()
	e.cfg, e.name, e.hookURL, e.host = &cfg, req.ChannelName, req.HookBaseURL, req.Host
	e.mu.Unlock()
	if exitAfter > 0 {
		time.AfterFunc(exitAfter, func() { os.Exit(3) })
	}
	return resp, nil
}

func (e *echo) Deliver(ctx context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	e.mu.Lock()
	cfg, host := e.cfg, e.host
	e.mu.Unlock()
	if cfg == nil {
		return sdk.DeliverResponse{}, sdk.ErrNotConfigured
	}
	ref := req.ThreadRef
	if len(ref) == 0 {
		ref = []byte("thread-" + req.Conversation.ID)
	}
	out := sdk.DeliverResponse{ThreadRef: ref, DeskMessageID: cfg.Greeting + ":" + req.Message.Text}
	switch req.Message.Text {
	case "exit":
		os.Exit(3)
	case "forget":
		e.mu.Lock()
		e.cfg = nil
		e.mu.Unlock()
		return sdk.DeliverResponse{}, sdk.ErrNotConfigured
	case "pid":
		out.DeskMessageID = strconv.Itoa(os.Getpid())
	case "reply":
		if host == nil {
			return out, errors.New("no host to reply to")
		}
		res, err := host.PostReply(ctx, sdk.Reply{ThreadRef: ref, ExternalID: "r-" + req.Message.ID, Text: "hi from the desk"})
		if err != nil {
			return out, err
		}
		out.DeskMessageID = res.ConversationID
	}
	return out, nil
}

func (e *echo) HandleWebhook(context.Context, sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sdk.WebhookResponse{Status: 200, Body: []byte(e.name + " " + e.hookURL)}, nil
}

func main() { sdk.Serve(&echo{}) }
