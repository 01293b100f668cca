package hipchatfake

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// HipChat's limits, as its API enforced them.
const (
	notificationLimit = 10000
	roomMessageLimit  = 1000
	fromLimit         = 64
	rateWindow        = 5 * time.Minute
	floodWindow       = time.Minute
)

var validColors = map[string]bool{"yellow": true, "green": true, "red": true, "purple": true, "gray": true, "random": true}

var validEvents = map[string]bool{
	"room_message": true, "room_notification": true, "room_file_upload": true, "room_enter": true,
	"room_exit": true, "room_topic_change": true, "room_created": true, "room_deleted": true,
	"room_archived": true, "room_unarchived": true,
}

// call is one authenticated API request being served.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	tok  *token
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, flood bool, scope string, h func(*call)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, flood, scope, h) })
	}
	api("POST /v2/room/{room}/notification", true, "send_notification", s.postNotification)
	api("POST /v2/room/{room}/message", true, "send_message", s.postMessage)
	api("POST /v2/room/{room}/share/file", true, "send_message", s.shareFile)
	api("POST /v2/user/{user}/message", true, "send_message", s.privateMessage)
	api("GET /v2/room", false, "view_group", s.listRooms)
	api("GET /v2/room/{room}", false, "view_room", s.getRoom)
	api("GET /v2/room/{room}/history", false, "view_messages", s.getHistory)
	api("POST /v2/room/{room}/webhook", false, "admin_room", s.createWebhook)
	api("GET /v2/room/{room}/webhook", false, "admin_room", s.listWebhooks)
	api("GET /v2/room/{room}/webhook/{id}", false, "admin_room", s.getWebhook)
	api("DELETE /v2/room/{room}/webhook/{id}", false, "admin_room", s.deleteWebhook)
	mux.HandleFunc("GET /files/{id}/{name}", s.serveFile)
	s.controlRoutes(mux)
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Unknown API path "+r.URL.Path)
	})
	return mux
}

// serveAPI records the request, plays faults, authenticates, applies the
// rate limits, then runs h.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, flood bool, scope string, h func(*call)) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, Status: rec.status})
		s.mu.Unlock()
	}()
	if s.playFault(rec, r) {
		return
	}
	c := &call{w: rec, r: r, body: body}
	s.mu.Lock()
	tok, msg := s.authLocked(r, scope)
	if tok == nil {
		s.mu.Unlock()
		writeError(rec, http.StatusUnauthorized, msg)
		return
	}
	c.tok = tok
	if !s.limitLocked(rec, r, tok, flood) {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if r.URL.Query().Get("auth_test") == "true" {
		// Nothing is executed, but the addressed room must exist.
		if name := r.PathValue("room"); name != "" {
			s.mu.Lock()
			_, ok := s.roomLocked(name)
			s.mu.Unlock()
			if !ok {
				writeError(rec, http.StatusNotFound, "Room not found")
				return
			}
		}
		writeJSON(rec, http.StatusAccepted, map[string]any{"success": map[string]any{"code": 202, "type": "Accepted", "message": "This auth_token has access to use this method."}})
		return
	}
	h(c)
}

// authLocked finds the token (Authorization: Bearer, or auth_token in the
// query) and checks its scope and, for a room token, its room.
func (s *Server) authLocked(r *http.Request, scope string) (*token, string) {
	v := ""
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		v = strings.TrimPrefix(a, "Bearer ")
	} else {
		v = r.URL.Query().Get("auth_token")
	}
	t, ok := s.tokens[v]
	if v == "" || !ok {
		return nil, "Authenticated requests only. See https://www.hipchat.com/docs/apiv2/auth for more information."
	}
	if !t.expires.IsZero() && !s.nowLocked().Before(t.expires) {
		return nil, "OAuth token expired"
	}
	if !t.scopes[scope] {
		return nil, "This endpoint requires the scope " + scope + ", which the token does not have."
	}
	if t.kind == RoomNotificationToken {
		room, ok := s.roomLocked(r.PathValue("room"))
		if !ok || room.ID != t.room {
			return nil, "This room notification token may only be used for room " + strconv.FormatInt(t.room, 10) + "."
		}
	}
	return t, ""
}

// limitLocked applies the 5-minute token window and, on message calls,
// the per-room flood control, setting their headers. It answers 429 and
// returns false when a window is exhausted.
func (s *Server) limitLocked(w http.ResponseWriter, r *http.Request, t *token, flood bool) bool {
	now := s.nowLocked()
	key := r.Header.Get("Authorization") + "|" + r.URL.Query().Get("auth_token")
	limit := 100
	if t.kind == AddonToken {
		limit = 500
	}
	if s.opts.RateLimit > 0 {
		limit = s.opts.RateLimit
	}
	ok := take(w.Header(), s.rate, key, now, rateWindow, limit, "X-Ratelimit-")
	if ok && flood {
		room := int64(0)
		if rm, found := s.roomLocked(r.PathValue("room")); found {
			room = rm.ID
		}
		fl := 30
		if s.opts.FloodLimit > 0 {
			fl = s.opts.FloodLimit
		}
		ok = take(w.Header(), s.flood, room, now, floodWindow, fl, "X-Floodcontrol-")
	}
	if !ok {
		writeError(w, http.StatusTooManyRequests, "You have exceeded the rate limit. See https://www.hipchat.com/docs/apiv2/rate_limiting")
	}
	return ok
}

func take[K comparable](h http.Header, windows map[K]*window, key K, now time.Time, size time.Duration, limit int, prefix string) bool {
	win := windows[key]
	if win == nil || !now.Before(win.start.Add(size)) {
		win = &window{start: now}
		windows[key] = win
	}
	ok := win.used < limit
	if ok {
		win.used++
	}
	h.Set(prefix+"Limit", strconv.Itoa(limit))
	h.Set(prefix+"Remaining", strconv.Itoa(limit-win.used))
	h.Set(prefix+"Reset", strconv.FormatInt(win.start.Add(size).Unix(), 10))
	return ok
}

func (s *Server) room(c *call) (*Room, bool) {
	s.mu.Lock()
	rm, ok := s.roomLocked(c.r.PathValue("room"))
	s.mu.Unlock()
	if !ok {
		writeError(c.w, http.StatusNotFound, "Room not found")
	}
	return rm, ok
}

func (s *Server) postNotification(c *call) {
	rm, ok := s.room(c)
	if !ok {
		return
	}
	var in struct {
		Message       string `json:"message"`
		MessageFormat string `json:"message_format"`
		Color         string `json:"color"`
		Notify        bool   `json:"notify"`
		From          string `json:"from"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "Request body is not valid JSON: "+err.Error())
		return
	}
	if msg := validateNotification(in.Message, in.MessageFormat, in.Color, in.From); msg != "" {
		writeError(c.w, http.StatusBadRequest, msg)
		return
	}
	if in.MessageFormat == "" {
		in.MessageFormat = "html"
	}
	if in.Color == "" {
		in.Color = "yellow"
	}
	s.notify(c.r.Context(), rm.ID, HistoryItem{Message: in.Message, MessageFormat: in.MessageFormat, Color: in.Color, Notify: in.Notify, From: in.From}, 0)
	c.w.WriteHeader(http.StatusNoContent)
}

func validateNotification(message, format, color, from string) string {
	switch n := utf8.RuneCountInString(message); {
	case n == 0:
		return "Validation error: message: required and may not be empty"
	case n > notificationLimit:
		return "Validation error: message: must be at most 10000 characters"
	}
	if format != "" && format != "html" && format != "text" {
		return "Validation error: message_format: must be one of html, text"
	}
	if color != "" && !validColors[color] {
		return "Validation error: color: must be one of yellow, green, red, purple, gray, random"
	}
	if utf8.RuneCountInString(from) > fromLimit {
		return "Validation error: from: must be at most 64 characters"
	}
	return ""
}

func (s *Server) postMessage(c *call) {
	rm, ok := s.room(c)
	if !ok {
		return
	}
	var in struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "Request body is not valid JSON: "+err.Error())
		return
	}
	if n := utf8.RuneCountInString(in.Message); n == 0 || n > roomMessageLimit {
		writeError(c.w, http.StatusBadRequest, "Validation error: message: must be between 1 and 1000 characters")
		return
	}
	item := s.say(c.r.Context(), rm.ID, c.tok.user, in.Message, nil)
	writeJSON(c.w, http.StatusCreated, map[string]any{"id": item.ID, "timestamp": formatDate(item.Date)})
}

func (s *Server) shareFile(c *call) {
	rm, ok := s.room(c)
	if !ok {
		return
	}
	caption, f, err := parseShare(c.r.Header.Get("Content-Type"), c.body)
	if err != nil {
		writeError(c.w, http.StatusBadRequest, err.Error())
		return
	}
	s.say(c.r.Context(), rm.ID, c.tok.user, caption, f)
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) privateMessage(c *call) {
	s.mu.Lock()
	_, ok := s.userLocked(c.r.PathValue("user"))
	s.mu.Unlock()
	if !ok {
		writeError(c.w, http.StatusNotFound, "User not found")
		return
	}
	var in struct {
		Message       string `json:"message"`
		MessageFormat string `json:"message_format"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "Request body is not valid JSON: "+err.Error())
		return
	}
	if msg := validateNotification(in.Message, in.MessageFormat, "", ""); msg != "" {
		writeError(c.w, http.StatusBadRequest, msg)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) roomJSON(rm *Room) map[string]any {
	self := s.url + "/v2/room/" + strconv.FormatInt(rm.ID, 10)
	return map[string]any{"id": rm.ID, "name": rm.Name, "privacy": "public", "is_archived": false, "version": "UA25ZO8M",
		"links": map[string]string{"self": self, "participants": self + "/participant", "webhooks": self + "/webhook"}}
}

func (s *Server) listRooms(c *call) {
	s.mu.Lock()
	items := []map[string]any{}
	for _, rm := range s.rooms {
		items = append(items, s.roomJSON(rm))
	}
	s.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i]["id"].(int64) < items[j]["id"].(int64) })
	writeJSON(c.w, http.StatusOK, list(items, s.url+c.r.URL.Path))
}

func (s *Server) getRoom(c *call) {
	if rm, ok := s.room(c); ok {
		writeJSON(c.w, http.StatusOK, s.roomJSON(rm))
	}
}

func (s *Server) getHistory(c *call) {
	rm, ok := s.room(c)
	if !ok {
		return
	}
	items := []map[string]any{}
	for _, h := range s.History(rm.ID) {
		items = append(items, s.itemJSON(h))
	}
	writeJSON(c.w, http.StatusOK, list(items, s.url+c.r.URL.Path))
}

func (s *Server) createWebhook(c *call) {
	rm, ok := s.room(c)
	if !ok {
		return
	}
	var in struct {
		URL            string `json:"url"`
		Event          string `json:"event"`
		Pattern        string `json:"pattern"`
		Name           string `json:"name"`
		Authentication string `json:"authentication"`
	}
	if err := json.Unmarshal(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "Request body is not valid JSON: "+err.Error())
		return
	}
	if !strings.HasPrefix(in.URL, "http://") && !strings.HasPrefix(in.URL, "https://") {
		writeError(c.w, http.StatusBadRequest, "Validation error: url: must be an http(s) URL")
		return
	}
	if !validEvents[in.Event] {
		writeError(c.w, http.StatusBadRequest, "Validation error: event: unknown event "+strconv.Quote(in.Event))
		return
	}
	if in.Authentication == "" {
		in.Authentication = "none"
	}
	if in.Authentication != "none" && in.Authentication != "jwt" {
		writeError(c.w, http.StatusBadRequest, "Validation error: authentication: must be jwt or none")
		return
	}
	var re *regexp.Regexp
	if in.Pattern != "" {
		var err error
		if re, err = regexp.Compile(in.Pattern); err != nil {
			writeError(c.w, http.StatusBadRequest, "Validation error: pattern: invalid regular expression")
			return
		}
	}
	s.mu.Lock()
	wh := &Webhook{ID: s.id(), RoomID: rm.ID, URL: in.URL, Event: in.Event, Pattern: in.Pattern, Name: in.Name, Authentication: in.Authentication, re: re}
	s.hooks[wh.ID] = wh
	s.mu.Unlock()
	writeJSON(c.w, http.StatusCreated, map[string]any{"id": wh.ID, "links": map[string]string{"self": s.webhookSelf(wh)}})
}

func (s *Server) webhookSelf(wh *Webhook) string {
	return s.url + "/v2/room/" + strconv.FormatInt(wh.RoomID, 10) + "/webhook/" + strconv.FormatInt(wh.ID, 10)
}

func (s *Server) webhookJSON(wh Webhook) map[string]any {
	return map[string]any{"id": wh.ID, "url": wh.URL, "event": wh.Event, "pattern": wh.Pattern, "name": wh.Name,
		"authentication": wh.Authentication, "links": map[string]string{"self": s.webhookSelf(&wh)}}
}

// listWebhooks pages with start-index/max-results like HipChat.
func (s *Server) listWebhooks(c *call) {
	rm, ok := s.room(c)
	if !ok {
		return
	}
	all := s.Webhooks(rm.ID)
	q := c.r.URL.Query()
	start, _ := strconv.Atoi(q.Get("start-index"))
	limit, err := strconv.Atoi(q.Get("max-results"))
	if err != nil || limit <= 0 || limit > 1000 {
		limit = 100
	}
	start = min(max(start, 0), len(all))
	end := min(start+limit, len(all))
	items := []map[string]any{}
	for _, wh := range all[start:end] {
		items = append(items, s.webhookJSON(wh))
	}
	self := s.url + c.r.URL.Path
	out := map[string]any{"items": items, "startIndex": start, "maxResults": limit, "links": map[string]string{"self": self}}
	if end < len(all) {
		out["links"].(map[string]string)["next"] = self + "?start-index=" + strconv.Itoa(end) + "&max-results=" + strconv.Itoa(limit)
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (s *Server) webhook(c *call) (*Webhook, bool) {
	rm, ok := s.room(c)
	if !ok {
		return nil, false
	}
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	s.mu.Lock()
	wh, found := s.hooks[id]
	s.mu.Unlock()
	if !found || wh.RoomID != rm.ID {
		writeError(c.w, http.StatusNotFound, "Webhook not found")
		return nil, false
	}
	return wh, true
}

func (s *Server) getWebhook(c *call) {
	if wh, ok := s.webhook(c); ok {
		writeJSON(c.w, http.StatusOK, s.webhookJSON(*wh))
	}
}

func (s *Server) deleteWebhook(c *call) {
	if wh, ok := s.webhook(c); ok {
		s.mu.Lock()
		delete(s.hooks, wh.ID)
		s.mu.Unlock()
		c.w.WriteHeader(http.StatusNoContent)
	}
}

// serveFile serves a shared file. Like HipChat Cloud's file store it needs
// no token: the URL itself is unguessable.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.files[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

func sortWebhooks(ws []Webhook) { sort.Slice(ws, func(i, j int) bool { return ws[i].ID < ws[j].ID }) }

func list(items []map[string]any, self string) map[string]any {
	return map[string]any{"items": items, "startIndex": 0, "maxResults": 100, "links": map[string]string{"self": self}}
}

func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with HipChat's error envelope.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "message": message, "type": http.StatusText(status)}})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

// Unwrap lets a dropped-connection fault reach the hijacker.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
