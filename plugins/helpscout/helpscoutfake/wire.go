package helpscoutfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf16"
)

// The JSON shapes Help Scout answers with (HAL, v2).

type link struct {
	Href string `json:"href"`
}

type personJSON struct {
	ID    int64  `json:"id"`
	Type  string `json:"type"`
	First string `json:"first,omitempty"`
	Last  string `json:"last,omitempty"`
	Email string `json:"email,omitempty"`
}

type attachmentJSON struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	MIMEType string `json:"mimeType"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Size     int    `json:"size"`
	State    string `json:"state"`
	Links    struct {
		Data link `json:"data"`
		Web  link `json:"web"`
	} `json:"_links"`
}

type threadJSON struct {
	ID        int64       `json:"id"`
	Type      string      `json:"type"`
	Status    string      `json:"status"`
	State     string      `json:"state"`
	Body      string      `json:"body"`
	Customer  *personJSON `json:"customer,omitempty"`
	CreatedBy personJSON  `json:"createdBy"`
	CreatedAt string      `json:"createdAt"`
	Scheduled *struct {
		ScheduledFor string `json:"scheduledFor"`
	} `json:"scheduled,omitempty"`
	Embedded struct {
		Attachments []attachmentJSON `json:"attachments"`
	} `json:"_embedded"`
}

type conversationJSON struct {
	ID              int64       `json:"id"`
	Number          int64       `json:"number"`
	Threads         int         `json:"threads"`
	Type            string      `json:"type"`
	Status          string      `json:"status"`
	State           string      `json:"state"`
	Subject         string      `json:"subject"`
	MailboxID       int64       `json:"mailboxId"`
	CreatedAt       string      `json:"createdAt"`
	PrimaryCustomer personJSON  `json:"primaryCustomer"`
	Assignee        *personJSON `json:"assignee,omitempty"`
	ClosedBy        int64       `json:"closedBy,omitempty"`
	ClosedByUser    *personJSON `json:"closedByUser,omitempty"`
	ClosedAt        string      `json:"closedAt,omitempty"`
	UserUpdatedAt   string      `json:"userUpdatedAt,omitempty"`
	Tags            []tagJSON   `json:"tags"`
	Embedded        *struct {
		Threads []threadJSON `json:"threads"`
	} `json:"_embedded,omitempty"`
	Links map[string]link `json:"_links"`
}

type tagJSON struct {
	ID  int    `json:"id"`
	Tag string `json:"tag"`
}

const timeLayout = "2006-01-02T15:04:05Z"

// conversationJSON must be called with mu held.
func (s *Server) conversationJSON(c *Conversation, withThreads bool) conversationJSON {
	out := conversationJSON{
		ID: c.ID, Number: c.Number, Threads: len(c.Threads), Type: c.Type, Status: c.Status, State: "published",
		Subject: c.Subject, MailboxID: c.MailboxID, CreatedAt: c.CreatedAt.Format(timeLayout),
		PrimaryCustomer: s.customerPerson(c.CustomerID), Tags: []tagJSON{},
		Links: map[string]link{"self": {Href: s.URL() + "v2/conversations/" + itoa(c.ID)}},
	}
	for i, t := range c.Tags {
		out.Tags = append(out.Tags, tagJSON{ID: i + 1, Tag: t})
	}
	if u := c.Assignee; u != nil {
		out.Assignee = &personJSON{ID: u.ID, Type: "user", First: u.First, Last: u.Last, Email: u.Email}
	}
	if u := c.ClosedBy; u != nil {
		out.ClosedBy = u.ID
		out.ClosedByUser = &personJSON{ID: u.ID, Type: "user", First: u.First, Last: u.Last, Email: u.Email}
		out.ClosedAt = c.ClosedAt.Format(timeLayout)
	}
	if !c.UserUpdatedAt.IsZero() {
		out.UserUpdatedAt = c.UserUpdatedAt.Format(timeLayout)
	}
	if withThreads {
		out.Embedded = &struct {
			Threads []threadJSON `json:"threads"`
		}{Threads: s.threadsJSON(c)}
	}
	return out
}

// threadsJSON lists a conversation's threads newest first, as Help Scout
// does. It must be called with mu held.
func (s *Server) threadsJSON(c *Conversation) []threadJSON {
	out := make([]threadJSON, 0, len(c.Threads))
	for i := len(c.Threads) - 1; i >= 0; i-- {
		t := c.Threads[i]
		tj := threadJSON{ID: t.ID, Type: t.Type, Status: "active", State: t.State, Body: t.Text, CreatedAt: t.CreatedAt.Format(timeLayout)}
		if t.CustomerID != 0 {
			p := s.customerPerson(t.CustomerID)
			tj.Customer = &p
		}
		if t.User != nil {
			tj.CreatedBy = personJSON{ID: t.User.ID, Type: "user", First: t.User.First, Last: t.User.Last, Email: t.User.Email}
		} else {
			tj.CreatedBy = s.customerPerson(t.CustomerID)
		}
		if t.ScheduledFor != nil {
			tj.Scheduled = &struct {
				ScheduledFor string `json:"scheduledFor"`
			}{t.ScheduledFor.Format(timeLayout)}
		}
		tj.Embedded.Attachments = []attachmentJSON{}
		for _, f := range t.Files {
			a := attachmentJSON{ID: f.ID, Filename: f.Name, MIMEType: f.MIMEType, Size: len(f.Data), State: "valid"}
			a.Links.Data.Href = s.URL() + "v2/conversations/" + itoa(c.ID) + "/attachments/" + itoa(f.ID) + "/data"
			a.Links.Web.Href = s.URL() + "attachments/" + itoa(f.ID)
			tj.Embedded.Attachments = append(tj.Embedded.Attachments, a)
		}
		out = append(out, tj)
	}
	return out
}

func (s *Server) customerPerson(id int64) personJSON {
	p := personJSON{ID: id, Type: "customer"}
	if c, ok := s.customers[id]; ok {
		p.First, p.Last = c.FirstName, c.LastName
	}
	return p
}

// fieldError is one validation problem.
type fieldError struct {
	Path     string
	Message  string
	Kind     string
	Rejected any
}

// writeValidation answers 400 with a vnd.error document.
func writeValidation(w http.ResponseWriter, errs ...fieldError) {
	items := make([]map[string]any, 0, len(errs))
	for _, e := range errs {
		it := map[string]any{
			"path": e.Path, "message": e.Message, "source": "JSON",
			"_links": map[string]any{"about": link{Href: "http://developer.helpscout.net/mailbox-api/overview/errors#" + e.Kind}},
		}
		if e.Rejected != nil {
			it["rejectedValue"] = e.Rejected
		}
		items = append(items, it)
	}
	w.Header().Set("Content-Type", "application/vnd.error+json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"logRef": "fake-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "#1", "message": "Bad request",
		"_embedded": map[string]any{"errors": items},
		"_links":    map[string]any{"about": link{Href: "http://developer.helpscout.net/mailbox-api/overview/errors"}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) writeCreated(w http.ResponseWriter, path string, id int64) {
	w.Header().Set("Resource-ID", itoa(id))
	w.Header().Set("Location", s.URL()+path)
	w.WriteHeader(http.StatusCreated)
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// helpScoutJSON marshals v the way Help Scout's Java serializer does:
// slashes escaped ("https:\/\/") and non-ASCII as \u escapes. A receiver
// that re-encodes the body before checking its signature fails on it.
func helpScoutJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(raw)+len(raw)/8)
	// '/' and non-ASCII only ever occur inside JSON strings, so escaping
	// them everywhere is safe.
	for _, r := range string(raw) {
		switch {
		case r == '/':
			out = append(out, '\\', '/')
		case r < 0x80:
			out = append(out, byte(r))
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		}
	}
	return out, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// utf16Len counts UTF-16 code units, as Help Scout's Java validation does.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }
