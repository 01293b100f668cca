package helpscoutfake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type customerRef struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

type attachmentIn struct {
	FileName *string `json:"fileName"`
	MIMEType *string `json:"mimeType"`
	Data     *string `json:"data"`
}

type threadIn struct {
	Type        string         `json:"type"`
	Customer    *customerRef   `json:"customer"`
	Text        string         `json:"text"`
	Status      string         `json:"status"`
	Imported    bool           `json:"imported"`
	Attachments []attachmentIn `json:"attachments"`
}

type customerIn struct {
	FirstName      *string  `json:"firstName"`
	LastName       *string  `json:"lastName"`
	Background     string   `json:"background"`
	PhotoURL       string   `json:"photoUrl"`
	Emails         []Handle `json:"emails"`
	Chats          []Handle `json:"chats"`
	Websites       []Handle `json:"websites"`
	SocialProfiles []Handle `json:"socialProfiles"`
}

var chatTypes = []string{"aim", "gtalk", "icq", "msn", "other", "qq", "skype", "xmpp", "yahoo"}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) handleMailboxes(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []map[string]any
	for _, m := range s.opts.Mailboxes {
		items = append(items, map[string]any{"id": m.ID, "name": m.Name})
	}
	page := map[string]any{"page": map[string]int{"size": 50, "totalElements": len(items), "totalPages": 1, "number": 1}}
	if len(items) > 0 { // Help Scout omits _embedded on an empty page.
		page["_embedded"] = map[string]any{"mailboxes": items}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleMailbox(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	m, ok := s.mailboxes[id]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "name": m.Name, "slug": "fake" + itoa(m.ID)})
}

func validateCustomer(in customerIn) []fieldError {
	var errs []fieldError
	for _, f := range []struct {
		path string
		v    *string
	}{{"firstName", in.FirstName}, {"lastName", in.LastName}} {
		if f.v != nil && (utf16Len(*f.v) < 1 || utf16Len(*f.v) > 40) {
			errs = append(errs, fieldError{Path: f.path, Message: "size must be between 1 and 40", Kind: "Size", Rejected: *f.v})
		}
	}
	if len(in.Background) > 200 {
		errs = append(errs, fieldError{Path: "background", Message: "size must be between 0 and 200", Kind: "Size"})
	}
	if len(in.PhotoURL) > 200 {
		errs = append(errs, fieldError{Path: "photoUrl", Message: "size must be between 0 and 200", Kind: "Size"})
	}
	for i, c := range in.Chats {
		if !slices.Contains(chatTypes, c.Type) {
			errs = append(errs, fieldError{Path: "chats[" + strconv.Itoa(i) + "].type", Kind: "EnumValue",
				Message: "Expected one of these: " + strings.Join(chatTypes, ", "), Rejected: c.Type})
		}
		if c.Value == "" {
			errs = append(errs, fieldError{Path: "chats[" + strconv.Itoa(i) + "].value", Message: "may not be empty", Kind: "NotEmpty"})
		}
	}
	return errs
}

func (s *Server) handleCreateCustomer(w http.ResponseWriter, r *http.Request) {
	var in customerIn
	if err := decodeJSON(r, &in); err != nil {
		writeValidation(w, fieldError{Message: err.Error(), Kind: "InvalidJson"})
		return
	}
	if errs := validateCustomer(in); len(errs) > 0 {
		writeValidation(w, errs...)
		return
	}
	s.mu.Lock()
	c := &Customer{ID: s.id(), Background: in.Background, PhotoURL: in.PhotoURL, Emails: in.Emails, Chats: in.Chats, Websites: in.Websites, Social: in.SocialProfiles}
	if in.FirstName != nil {
		c.FirstName = *in.FirstName
	}
	if in.LastName != nil {
		c.LastName = *in.LastName
	}
	s.customers[c.ID] = c
	s.mu.Unlock()
	s.writeCreated(w, "v2/customers/"+itoa(c.ID), c.ID)
}

func (s *Server) handleCustomer(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	c, ok := s.customers[id]
	var out map[string]any
	if ok {
		out = map[string]any{"id": c.ID, "firstName": c.FirstName, "lastName": c.LastName, "background": c.Background, "photoUrl": c.PhotoURL,
			"_embedded": map[string]any{"emails": c.Emails, "chats": c.Chats, "websites": c.Websites, "social_profiles": c.Social}}
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCustomerHandle(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	var h Handle
	if err := decodeJSON(r, &h); err != nil || h.Value == "" {
		writeValidation(w, fieldError{Path: "value", Message: "may not be empty", Kind: "NotEmpty"})
		return
	}
	kind := r.PathValue("kind")
	if kind == "chats" && !slices.Contains(chatTypes, h.Type) {
		writeValidation(w, fieldError{Path: "type", Message: "Expected one of these: " + strings.Join(chatTypes, ", "), Kind: "EnumValue", Rejected: h.Type})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	switch kind {
	case "chats":
		c.Chats = append(c.Chats, h)
	case "emails":
		c.Emails = append(c.Emails, h)
	case "websites":
		c.Websites = append(c.Websites, h)
	case "social-profiles":
		c.Social = append(c.Social, h)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	s.writeCreated(w, "v2/customers/"+itoa(id)+"/"+kind, s.id())
}

// resolveCustomer finds the customer a request names, creating one from an
// e-mail as Help Scout does. It must be called with mu held.
func (s *Server) resolveCustomer(path string, ref *customerRef) (int64, []fieldError) {
	switch {
	case ref == nil || (ref.ID == 0 && ref.Email == ""):
		return 0, []fieldError{{Path: path, Message: "customer must have an id or an email", Kind: "NotNull"}}
	case ref.ID != 0:
		if _, ok := s.customers[ref.ID]; !ok {
			return 0, []fieldError{{Path: path + ".id", Message: "customer does not exist", Kind: "InvalidIdentifier", Rejected: ref.ID}}
		}
		return ref.ID, nil
	}
	for _, c := range s.customers {
		for _, e := range c.Emails {
			if strings.EqualFold(e.Value, ref.Email) {
				return c.ID, nil
			}
		}
	}
	c := &Customer{ID: s.id(), FirstName: ref.FirstName, LastName: ref.LastName, Emails: []Handle{{Type: "work", Value: ref.Email}}}
	s.customers[c.ID] = c
	return c.ID, nil
}

// buildThread validates a thread body and makes a Thread. It must be called
// with mu held.
func (s *Server) buildThread(path, typ string, in threadIn) (Thread, []fieldError) {
	var errs []fieldError
	t := Thread{Type: typ, State: "published", Text: in.Text}
	if strings.TrimSpace(in.Text) == "" {
		errs = append(errs, fieldError{Path: path + "text", Message: "may not be empty", Kind: "NotEmpty"})
	}
	if typ == "customer" || typ == "chat" || typ == "phone" || typ == "reply" {
		id, ferrs := s.resolveCustomer(path+"customer", in.Customer)
		errs = append(errs, ferrs...)
		t.CustomerID = id
	}
	for i, a := range in.Attachments {
		p := path + "attachments[" + strconv.Itoa(i) + "]."
		switch {
		case a.FileName == nil || *a.FileName == "":
			errs = append(errs, fieldError{Path: p + "fileName", Message: "may not be empty", Kind: "NotEmpty"})
		case a.MIMEType == nil || *a.MIMEType == "":
			errs = append(errs, fieldError{Path: p + "mimeType", Message: "may not be empty", Kind: "NotEmpty"})
		case a.Data == nil || *a.Data == "":
			errs = append(errs, fieldError{Path: p + "data", Message: "may not be empty", Kind: "NotEmpty"})
		default:
			data, err := decodeBase64(*a.Data)
			if err != nil {
				errs = append(errs, fieldError{Path: p + "data", Message: "must be base64 encoded", Kind: "InvalidBase64"})
				continue
			}
			t.Files = append(t.Files, File{ID: s.id(), Name: *a.FileName, MIMEType: *a.MIMEType, Data: data})
		}
	}
	return t, errs
}

func (s *Server) handleCreateConversation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Subject   string       `json:"subject"`
		MailboxID int64        `json:"mailboxId"`
		Type      string       `json:"type"`
		Status    string       `json:"status"`
		Customer  *customerRef `json:"customer"`
		Threads   []threadIn   `json:"threads"`
		Tags      []string     `json:"tags"`
		Imported  bool         `json:"imported"`
	}
	if err := decodeJSON(r, &in); err != nil {
		writeValidation(w, fieldError{Message: err.Error(), Kind: "InvalidJson"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []fieldError
	if strings.TrimSpace(in.Subject) == "" {
		errs = append(errs, fieldError{Path: "subject", Message: "may not be empty", Kind: "NotEmpty"})
	}
	if _, ok := s.mailboxes[in.MailboxID]; !ok {
		errs = append(errs, fieldError{Path: "mailboxId", Message: "mailbox does not exist", Kind: "InvalidIdentifier", Rejected: in.MailboxID})
	}
	if !slices.Contains([]string{"email", "phone", "chat"}, in.Type) {
		errs = append(errs, fieldError{Path: "type", Message: "Expected one of these: 'email', 'phone', 'chat'", Kind: "EnumValue", Rejected: in.Type})
	}
	if !slices.Contains([]string{"active", "pending", "closed"}, in.Status) {
		errs = append(errs, fieldError{Path: "status", Message: "Expected one of these: 'active', 'pending', 'closed'", Kind: "EnumValue", Rejected: in.Status})
	}
	custID, ferrs := s.resolveCustomer("customer", in.Customer)
	errs = append(errs, ferrs...)
	if len(in.Threads) == 0 {
		errs = append(errs, fieldError{Path: "threads", Message: "may not be empty", Kind: "NotEmpty"})
	}
	if len(in.Threads) > s.opts.ThreadLimit {
		writeJSON(w, http.StatusPreconditionFailed, map[string]string{"message": "Too many threads"})
		return
	}
	var threads []Thread
	for i, tin := range in.Threads {
		typ := tin.Type
		if !slices.Contains([]string{"customer", "chat", "phone", "reply", "note"}, typ) {
			errs = append(errs, fieldError{Path: "threads[" + strconv.Itoa(i) + "].type", Message: "Expected one of these: 'customer', 'chat', 'phone', 'reply', 'note'", Kind: "EnumValue", Rejected: typ})
			continue
		}
		t, terrs := s.buildThread("threads["+strconv.Itoa(i)+"].", typ, tin)
		errs = append(errs, terrs...)
		threads = append(threads, t)
	}
	if len(errs) > 0 {
		writeValidation(w, errs...)
		return
	}
	c := &Conversation{ID: s.id(), MailboxID: in.MailboxID, Subject: in.Subject, Type: in.Type, Status: in.Status,
		CustomerID: custID, Tags: append([]string(nil), in.Tags...), CreatedAt: s.tick()}
	c.Number = c.ID - 1000 + 4000
	for _, t := range threads {
		t.ID, t.CreatedAt = s.id(), s.tick()
		c.Threads = append(c.Threads, t)
	}
	s.convs[c.ID] = c
	s.order = append(s.order, c.ID)
	s.writeCreated(w, "v2/conversations/"+itoa(c.ID), c.ID)
}

func (s *Server) handleConversation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	if c.MergedInto != 0 {
		w.Header().Set("Location", s.URL()+"v2/conversations/"+itoa(c.MergedInto))
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	writeJSON(w, http.StatusOK, s.conversationJSON(c, r.URL.Query().Get("embed") == "threads"))
}

// statuses are the values PATCH accepts for /status.
var statuses = []string{"active", "closed", "open", "pending", "spam"}

// handleUpdateConversation is Help Scout's Update Conversation: one
// JSON-Patch-like operation, {"op":"replace","path":"/status","value":
// "closed"}, answered 204 with an empty body. Only /status and /assignTo
// are modelled; other paths are refused as unsupported.
func (s *Server) handleUpdateConversation(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	var in struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	if err := decodeJSON(r, &in); err != nil {
		writeValidation(w, fieldError{Message: err.Error(), Kind: "InvalidJson"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok || c.MergedInto != 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	switch {
	case in.Op != "replace" && !(in.Op == "remove" && in.Path == "/assignTo"):
		writeValidation(w, fieldError{Path: "op", Message: "Expected one of these: 'replace', 'remove'", Kind: "EnumValue", Rejected: in.Op})
	case in.Path == "/status":
		v, _ := in.Value.(string)
		if !slices.Contains(statuses, v) {
			writeValidation(w, fieldError{Path: "value", Message: "Expected one of these: 'active', 'closed', 'open', 'pending', 'spam'", Kind: "EnumValue", Rejected: in.Value})
			return
		}
		if v == "open" {
			v = "active"
		}
		s.setStatusLocked(c, v, &APIUser)
		c.StatusChanges = append(c.StatusChanges, v)
		w.WriteHeader(http.StatusNoContent)
	case in.Path == "/assignTo" && in.Op == "remove":
		c.Assignee, c.UserUpdatedAt = nil, s.tick()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeValidation(w, fieldError{Path: "path", Message: "unsupported by the fake", Kind: "EnumValue", Rejected: in.Path})
	}
}

func (s *Server) handleThreads(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok || c.MergedInto != 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	threads := s.threadsJSON(c)
	page := map[string]any{"page": map[string]int{"size": 50, "totalElements": len(threads), "totalPages": 1, "number": 1}}
	if len(threads) > 0 {
		page["_embedded"] = map[string]any{"threads": threads}
	}
	writeJSON(w, http.StatusOK, page)
}

var threadKinds = map[string]string{"customer": "customer", "reply": "reply", "notes": "note", "chats": "chat", "phones": "phone"}

func (s *Server) handleAddThread(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	typ, ok := threadKinds[r.PathValue("kind")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	var in threadIn
	if err := decodeJSON(r, &in); err != nil {
		writeValidation(w, fieldError{Message: err.Error(), Kind: "InvalidJson"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[id]
	if !ok || c.MergedInto != 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	if len(c.Threads) >= s.opts.ThreadLimit-1 {
		writeJSON(w, http.StatusPreconditionFailed, map[string]string{"message": "Conversation has reached its thread limit"})
		return
	}
	t, errs := s.buildThread("", typ, in)
	if len(errs) > 0 {
		writeValidation(w, errs...)
		return
	}
	t.ID, t.CreatedAt = s.id(), s.tick()
	c.Threads = append(c.Threads, t)
	switch {
	case typ == "customer" && !in.Imported:
		c.Status = "active" // a customer thread reopens the conversation
	case in.Status != "":
		c.Status = in.Status
	case typ == "reply":
		c.Status = "active"
	}
	if c.Status != "closed" {
		c.ClosedBy, c.ClosedAt = nil, time.Time{}
	}
	s.writeCreated(w, "v2/conversations/"+itoa(id)+"/threads/"+itoa(t.ID), t.ID)
}

func (s *Server) handleAttachmentData(w http.ResponseWriter, r *http.Request) {
	cid, _ := pathID(r, "id")
	aid, _ := pathID(r, "aid")
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.convs[cid]; ok {
		for _, t := range c.Threads {
			for _, f := range t.Files {
				if f.ID == aid {
					writeJSON(w, http.StatusOK, map[string][]byte{"data": f.Data})
					return
				}
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
}

func (s *Server) handleAddAttachment(w http.ResponseWriter, r *http.Request) {
	cid, _ := pathID(r, "id")
	tid, _ := pathID(r, "tid")
	var in attachmentIn
	if err := decodeJSON(r, &in); err != nil {
		writeValidation(w, fieldError{Message: err.Error(), Kind: "InvalidJson"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, errs := s.buildThread("", "note", threadIn{Text: "-", Attachments: []attachmentIn{in}})
	if len(errs) > 0 {
		writeValidation(w, errs...)
		return
	}
	if c, ok := s.convs[cid]; ok && c.MergedInto == 0 {
		for i := range c.Threads {
			if c.Threads[i].ID == tid {
				c.Threads[i].Files = append(c.Threads[i].Files, t.Files...)
				s.writeCreated(w, "v2/conversations/"+itoa(cid)+"/attachments/"+itoa(t.Files[0].ID), t.Files[0].ID)
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
}
