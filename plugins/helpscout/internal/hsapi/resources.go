package hsapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
)

// Mailbox reads one mailbox; a 404 means it does not exist (or the app's
// user cannot see it).
func (c *Client) Mailbox(ctx context.Context, id int64) (Mailbox, error) {
	var m Mailbox
	_, err := c.do(ctx, "get mailbox", http.MethodGet, "v2/mailboxes/"+itoa(id), nil, &m)
	return m, err
}

// CreateCustomer creates a customer and returns its id.
func (c *Client) CreateCustomer(ctx context.Context, cu NewCustomer) (int64, error) {
	body, err := jsonBody(cu)
	if err != nil {
		return 0, err
	}
	return c.create(ctx, "create customer", "v2/customers", body)
}

// CreateConversation creates a conversation with its first thread and
// returns the conversation id.
func (c *Client) CreateConversation(ctx context.Context, conv NewConversation) (int64, error) {
	body := streamBody(func(w io.Writer) error {
		return writeObject(w, conv, func(w io.Writer) error {
			if _, err := io.WriteString(w, `,"threads":[`); err != nil {
				return err
			}
			if err := writeThread(w, conv.Thread); err != nil {
				return err
			}
			_, err := io.WriteString(w, "]")
			return err
		})
	})
	return c.create(ctx, "create conversation", "v2/conversations", body)
}

// AddCustomerThread adds a customer thread to a conversation (which
// reopens it) and returns the thread id. A merged conversation answers
// 404, a full one 412.
func (c *Client) AddCustomerThread(ctx context.Context, convID int64, t NewThread) (int64, error) {
	t.Type = ""
	body := streamBody(func(w io.Writer) error { return writeThread(w, t) })
	return c.create(ctx, "add customer thread", "v2/conversations/"+itoa(convID)+"/customer", body)
}

// AddNote adds an internal note (never shown to the customer) and returns
// its thread id.
func (c *Client) AddNote(ctx context.Context, convID int64, text string) (int64, error) {
	body, err := jsonBody(NewThread{Text: text})
	if err != nil {
		return 0, err
	}
	return c.create(ctx, "add note", "v2/conversations/"+itoa(convID)+"/notes", body)
}

// patchOp is one operation of Help Scout's Update Conversation call
// (PATCH /v2/conversations/{id}), a JSON-Patch-like object.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// SetStatus sets a conversation's status ("active", "pending", "closed")
// with PATCH /v2/conversations/{id}; Help Scout answers 204. Setting the
// status it already has succeeds, so a retry is harmless.
func (c *Client) SetStatus(ctx context.Context, convID int64, status string) error {
	body, err := jsonBody(patchOp{Op: "replace", Path: "/status", Value: status})
	if err != nil {
		return err
	}
	_, err = c.do(ctx, "update conversation status", http.MethodPatch, "v2/conversations/"+itoa(convID), body, nil)
	return err
}

// Conversation reads a conversation, with its threads embedded when
// withThreads. A merged conversation answers 301 with the new one's URL in
// the error's Location.
func (c *Client) Conversation(ctx context.Context, id int64, withThreads bool) (Conversation, error) {
	p := "v2/conversations/" + itoa(id)
	if withThreads {
		p += "?embed=threads"
	}
	var conv Conversation
	_, err := c.do(ctx, "get conversation", http.MethodGet, p, nil, &conv)
	return conv, err
}

// Threads reads the first page of a conversation's threads, newest first;
// that page holds every thread a webhook can be about.
func (c *Client) Threads(ctx context.Context, convID int64) ([]Thread, error) {
	var page struct {
		Embedded struct {
			Threads []Thread `json:"threads"`
		} `json:"_embedded"`
	}
	_, err := c.do(ctx, "list threads", http.MethodGet, "v2/conversations/"+itoa(convID)+"/threads", nil, &page)
	return page.Embedded.Threads, err
}

// AttachmentData downloads an attachment of a conversation. Help Scout
// answers with the whole file base64-encoded in JSON, so it is decoded in
// memory (files are at most a few MB).
func (c *Client) AttachmentData(ctx context.Context, convID, attachmentID int64) (io.ReadCloser, int64, error) {
	var doc struct {
		Data []byte `json:"data"`
	}
	p := "v2/conversations/" + itoa(convID) + "/attachments/" + itoa(attachmentID) + "/data"
	if _, err := c.do(ctx, "download attachment", http.MethodGet, p, nil, &doc); err != nil {
		return nil, 0, err
	}
	return io.NopCloser(bytes.NewReader(doc.Data)), int64(len(doc.Data)), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
