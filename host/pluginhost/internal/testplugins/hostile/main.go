// Command hostile is a test channel plugin for pluginhost that does what a
// compromised or buggy plugin might, each on a webhook path:
//
//   - /env answers its environment, one VAR=value a line;
//   - /big answers a body of 64 MiB;
//   - /replies?n=N answers N replies to thread "t";
//   - /post?n=N&ref=R&conv=C posts N replies through the host as fast as it
//     can (to thread R or conversation C) and answers JSON {"posted": how
//     many succeeded, "code", "message", "retry_ms", "permanent"} of the
//     first error;
//   - /bigpost posts one reply of 5 MiB, answering as /post;
//   - /log writes forged lines to stderr (raw, and as hclog JSON with
//     newlines in the message and keys);
//   - /badjson writes hclog-like JSON lines with fields of the wrong type,
//     then "sentinel after bad json";
//   - /flood?n=N writes N JSON log lines to stderr.
//
// Deliver answers ThreadRef "thread-<conversation id>". Any other path
// answers 200 "ok".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-dev/parley/sdk"
)

type hostile struct {
	mu   sync.Mutex
	host sdk.Host
}

func (h *hostile) Describe(context.Context) (sdk.DescribeResponse, error) {
	return sdk.DescribeResponse{Name: "hostile", Version: "0.0.1", Capabilities: sdk.Capabilities{Threads: true, Webhooks: true}}, nil
}

func (h *hostile) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	h.mu.Lock()
	h.host = req.Host
	h.mu.Unlock()
	return sdk.ConfigureResponse{}, nil
}

func (h *hostile) Deliver(_ context.Context, req sdk.DeliverRequest) (sdk.DeliverResponse, error) {
	return sdk.DeliverResponse{ThreadRef: []byte("thread-" + req.Conversation.ID), DeskMessageID: req.Message.ID}, nil
}

// stderr is the process's real standard error: go-plugin's Serve points
// os.Stderr at a pipe to the host's stdio stream, the host reads fd 2.
var stderr = os.NewFile(2, "stderr")

func (h *hostile) HandleWebhook(ctx context.Context, req sdk.WebhookRequest) (sdk.WebhookResponse, error) {
	q, _ := url.ParseQuery(req.RawQuery)
	n, _ := strconv.Atoi(q.Get("n"))
	switch req.Path {
	case "/env":
		return ok(strings.Join(os.Environ(), "\n")), nil
	case "/big":
		return sdk.WebhookResponse{Status: 200, Body: make([]byte, 64<<20)}, nil
	case "/replies":
		resp := ok("")
		for i := range n {
			resp.Replies = append(resp.Replies, sdk.Reply{ThreadRef: []byte("t"), ExternalID: fmt.Sprint("r", i), Text: "hi"})
		}
		return resp, nil
	case "/post":
		return h.post(ctx, n, q.Get("ref"), q.Get("conv"), "flood")
	case "/bigpost":
		return h.post(ctx, 1, "t", "", strings.Repeat("x", 5<<20))
	case "/log":
		fmt.Fprint(stderr, "2026-01-01T00:00:00.000Z [ERROR] parley.host: raw forged\r\n")
		line, _ := json.Marshal(map[string]any{
			"@level":   "error",
			"@message": "innocent\n2026-01-01T00:00:00.000Z [ERROR] parley.host: json forged",
			"key\n2026-01-01T00:00:00.000Z [ERROR] parley.host: key forged": "v\x1b[2J",
			"channel": "someone-else",
		})
		fmt.Fprintf(stderr, "%s\n", line)
		fmt.Fprintln(os.Stdout, "stdout line\n2026-01-01T00:00:00.000Z [ERROR] parley.host: stdout forged")
		return ok("logged"), nil
	case "/badjson":
		// go-plugin's own stderr parser panics on each of these.
		fmt.Fprint(stderr, `{"@level":"info","@message":42}`+"\n")
		fmt.Fprint(stderr, `{"@level":7,"@message":"level"}`+"\n")
		fmt.Fprint(stderr, `{"@level":"warn","@message":"when","@timestamp":7}`+"\n")
		fmt.Fprint(stderr, `{"@level":"warn","@message":"sentinel after bad json"}`+"\n")
		return ok("logged"), nil
	case "/flood":
		for i := range n {
			fmt.Fprintf(stderr, `{"@level":"info","@message":"flood %d"}`+"\n", i)
		}
		return ok("flooded"), nil
	}
	return ok("ok"), nil
}

func (h *hostile) post(ctx context.Context, n int, ref, conv, text string) (sdk.WebhookResponse, error) {
	h.mu.Lock()
	host := h.host
	h.mu.Unlock()
	if host == nil {
		return sdk.WebhookResponse{}, errors.New("no host")
	}
	out := map[string]any{"posted": 0}
	for i := range n {
		r := sdk.Reply{ExternalID: fmt.Sprint("post-", i), Text: text, ConversationID: conv}
		if ref != "" {
			r.ThreadRef = []byte(ref)
		}
		_, err := host.PostReply(ctx, r)
		if err != nil {
			var re *sdk.RemoteError
			if errors.As(err, &re) {
				out["code"] = re.Code
			}
			d, _ := sdk.RetryHint(err)
			out["retry_ms"] = d.Milliseconds()
			out["message"] = err.Error()
			out["permanent"] = sdk.IsPermanent(err)
			break
		}
		out["posted"] = i + 1
	}
	b, _ := json.Marshal(out)
	return ok(string(b)), nil
}

func ok(body string) sdk.WebhookResponse {
	return sdk.WebhookResponse{Status: 200, Body: []byte(body)}
}

func main() { sdk.Serve(&hostile{}) }
