package helpscoutfake

import "time"

// Mailbox is a seeded mailbox.
type Mailbox struct {
	ID   int64
	Name string
}

// Handle is a customer's chat handle, website or social profile.
type Handle struct {
	Type  string `json:"type,omitempty"`
	Value string `json:"value"`
}

// Customer is a customer the fake holds.
type Customer struct {
	ID         int64
	FirstName  string
	LastName   string
	Background string
	// PhotoURL is the customer's avatar link (photoUrl, at most 200 characters).
	PhotoURL string
	Emails   []Handle
	Chats    []Handle
	Websites []Handle
	Social   []Handle
}

// File is an attachment of a thread.
type File struct {
	ID       int64
	Name     string
	MIMEType string
	Data     []byte
}

// User is the agent who wrote a reply or note.
type User struct {
	ID    int64
	First string
	Last  string
	Email string
}

// APIUser is the Help Scout user the app's token acts as: status changes
// made through the API are attributed to it, as Help Scout does.
var APIUser = User{ID: 9, First: "Parley", Last: "Integration", Email: "parley@example.com"}

// Anna is the default agent of replies, status changes and assignments.
var Anna = User{ID: 17, First: "Anna", Last: "Agent", Email: "anna@example.com"}

// Thread is one entry of a conversation.
type Thread struct {
	ID int64
	// Type is "customer", "reply", "note", "chat" or "phone".
	Type string
	// State is "published", "draft" or "hidden".
	State      string
	Text       string
	CustomerID int64
	// User wrote the thread; nil for customer threads.
	User         *User
	CreatedAt    time.Time
	ScheduledFor *time.Time
	Files        []File
}

// Conversation is a conversation the fake holds, threads oldest first.
type Conversation struct {
	ID         int64
	Number     int64
	MailboxID  int64
	Subject    string
	Type       string
	Status     string
	CustomerID int64
	Tags       []string
	Threads    []Thread
	CreatedAt  time.Time
	// MergedInto is the surviving conversation after a merge, 0 otherwise.
	MergedInto int64
	// Assignee is the user it is assigned to, nil when unassigned.
	Assignee *User
	// ClosedBy and ClosedAt say who closed it and when, while closed.
	ClosedBy *User
	ClosedAt time.Time
	// UserUpdatedAt is when a user (or the API) last changed it.
	UserUpdatedAt time.Time
	// StatusChanges lists every status set through the API's PATCH, in
	// order, so tests see what the integration did (and did not) change.
	StatusChanges []string
}

// CustomerThreads returns the conversation's customer threads, oldest first.
func (c Conversation) CustomerThreads() []Thread {
	var out []Thread
	for _, t := range c.Threads {
		if t.Type == "customer" {
			out = append(out, t)
		}
	}
	return out
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  string
	// Token is the Bearer token the request carried.
	Token string
	Body  []byte
	Time  time.Time
}
