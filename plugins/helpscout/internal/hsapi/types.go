package hsapi

import (
	"io"
	"time"
)

// Mailbox is a Help Scout mailbox (an "Inbox" in the UI).
type Mailbox struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Handle is a typed value of a customer, such as a chat handle
// ({"type":"other","value":"telegram:42"}) or a website ({"value":"https://t.me/x"}).
type Handle struct {
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

// NewCustomer is the body of POST /v2/customers.
type NewCustomer struct {
	FirstName  string   `json:"firstName,omitempty"`
	LastName   string   `json:"lastName,omitempty"`
	PhotoURL   string   `json:"photoUrl,omitempty"`
	Background string   `json:"background,omitempty"`
	Chats      []Handle `json:"chats,omitempty"`
	Websites   []Handle `json:"websites,omitempty"`
}

// Ref names an existing resource by id, as in "customer": {"id": 4711}.
type Ref struct {
	ID int64 `json:"id"`
}

// Attachment is a file to upload with a new thread. Open is called each
// time the request body is written (again after a token refresh), so the
// file is streamed rather than held in memory.
type Attachment struct {
	FileName string
	MIMEType string
	Open     func() (io.ReadCloser, error)
}

// NewThread is the body of a customer thread or note.
type NewThread struct {
	// Type is set only inside a new conversation ("customer").
	Type     string `json:"type,omitempty"`
	Customer *Ref   `json:"customer,omitempty"`
	Text     string `json:"text"`
	// Attachments are streamed into the JSON body as base64.
	Attachments []Attachment `json:"-"`
}

// NewConversation is the body of POST /v2/conversations with exactly one
// thread.
type NewConversation struct {
	Subject   string    `json:"subject"`
	MailboxID int64     `json:"mailboxId"`
	Type      string    `json:"type"`
	Status    string    `json:"status"`
	Customer  Ref       `json:"customer"`
	Tags      []string  `json:"tags,omitempty"`
	AutoReply bool      `json:"autoReply"`
	Imported  bool      `json:"imported"`
	Thread    NewThread `json:"-"`
}

// Person is a customer or user as threads and conversations embed them.
type Person struct {
	ID    int64  `json:"id"`
	Type  string `json:"type,omitempty"`
	First string `json:"first,omitempty"`
	Last  string `json:"last,omitempty"`
	Email string `json:"email,omitempty"`
}

// Link is a HAL link.
type Link struct {
	Href string `json:"href"`
}

// AttachmentInfo is a file on an existing thread. Note the read-side
// spelling "filename" (creates use "fileName").
type AttachmentInfo struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	MIMEType string `json:"mimeType"`
	Size     int64  `json:"size"`
	Links    struct {
		Data Link `json:"data"`
	} `json:"_links"`
}

// Scheduled is set on replies whose sending is scheduled.
type Scheduled struct {
	ScheduledFor *time.Time `json:"scheduledFor,omitempty"`
}

// Thread is one entry of a conversation.
type Thread struct {
	ID        int64      `json:"id"`
	Type      string     `json:"type"`
	State     string     `json:"state,omitempty"`
	Status    string     `json:"status,omitempty"`
	Body      string     `json:"body,omitempty"`
	CreatedBy Person     `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
	Scheduled *Scheduled `json:"scheduled,omitempty"`
	Embedded  struct {
		Attachments []AttachmentInfo `json:"attachments,omitempty"`
	} `json:"_embedded"`
}

// Conversation is a Help Scout conversation. Threads is a count; the thread
// objects, when embedded, are in Embedded.Threads.
type Conversation struct {
	ID              int64  `json:"id"`
	Number          int64  `json:"number"`
	Threads         int    `json:"threads"`
	Type            string `json:"type"`
	Status          string `json:"status"`
	State           string `json:"state,omitempty"`
	Subject         string `json:"subject"`
	MailboxID       int64  `json:"mailboxId"`
	PrimaryCustomer Person `json:"primaryCustomer"`
	// Assignee is the user the conversation is assigned to; nil (null or
	// absent) when unassigned.
	Assignee *Person `json:"assignee,omitempty"`
	// ClosedByUser is who closed a closed conversation; ClosedAt when.
	ClosedByUser *Person `json:"closedByUser,omitempty"`
	ClosedAt     string  `json:"closedAt,omitempty"`
	// UserUpdatedAt is when a user last changed the conversation.
	UserUpdatedAt string `json:"userUpdatedAt,omitempty"`
	Embedded      struct {
		Threads []Thread `json:"threads,omitempty"`
	} `json:"_embedded"`
}
