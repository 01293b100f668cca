package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// method describes one Web API method: the token kind it takes, the scope
// it needs and its handler.
type method struct {
	tokenKind string // "bot" or "app"
	scope     string // "" when none is needed
	handle    func(f *Fake, tok *token, args map[string]string) (any, string)
}

// obj is a JSON object answer.
type obj = map[string]any

var methods = map[string]method{
	"auth.test":                    {"bot", "", (*Fake).authTest},
	"chat.postMessage":             {"bot", "chat:write", (*Fake).postMessage},
	"chat.update":                  {"bot", "chat:write", (*Fake).chatUpdate},
	"chat.delete":                  {"bot", "chat:write", (*Fake).chatDelete},
	"reactions.add":                {"bot", "reactions:write", (*Fake).reactionsAdd},
	"reactions.remove":             {"bot", "reactions:write", (*Fake).reactionsRemove},
	"reactions.get":                {"bot", "reactions:read", (*Fake).reactionsGet},
	"conversations.info":           {"bot", "channels:read", (*Fake).conversationsInfo},
	"conversations.list":           {"bot", "channels:read", (*Fake).conversationsList},
	"conversations.join":           {"bot", "channels:join", (*Fake).conversationsJoin},
	"users.info":                   {"bot", "users:read", (*Fake).usersInfo},
	"bots.info":                    {"bot", "users:read", (*Fake).botsInfo},
	"files.getUploadURLExternal":   {"bot", "files:write", (*Fake).getUploadURL},
	"files.completeUploadExternal": {"bot", "files:write", (*Fake).completeUpload},
	"files.info":                   {"bot", "files:read", (*Fake).filesInfo},
	"files.upload":                 {"bot", "files:write", func(*Fake, *token, map[string]string) (any, string) { return nil, "method_deprecated" }},
	"apps.connections.open":        {"app", "connections:write", (*Fake).connectionsOpen},
}

// serveAPI answers /api/<method> the way Slack does: token from the
// Bearer header or the token form field (never the query or a JSON body),
// HTTP 200 with {"ok":...} and an X-OAuth-Scopes header.
func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	args, bodyToken, err := parseArgs(r)
	if err != nil {
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": err.Error()})
		return
	}
	tokStr := bodyToken
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tokStr = strings.TrimPrefix(h, "Bearer ")
	}

	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: name, Token: tokStr, Args: args, Header: r.Header.Clone(), Time: time.Now()})
	in := f.takeInjection(name)
	tok := f.tokens[tokStr]
	f.mu.Unlock()

	if tok != nil {
		w.Header().Set("X-OAuth-Scopes", strings.Join(tok.scopes, ","))
	}
	if in != nil {
		switch {
		case in.status == http.StatusTooManyRequests:
			if in.retryAfter >= 0 {
				w.Header().Set("Retry-After", strconv.Itoa(in.retryAfter))
			}
			writeJSON(w, in.status, obj{"ok": false, "error": in.code})
		case in.status != 0:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(in.status)
			_, _ = io.WriteString(w, "<html><body>Bad gateway</body></html>")
		default:
			writeJSON(w, http.StatusOK, errorBody(in.code, tok))
		}
		return
	}

	m, ok := methods[name]
	switch {
	case !ok:
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": "unknown_method"})
		return
	case tokStr == "":
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": "not_authed"})
		return
	case tok == nil:
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": "invalid_auth"})
		return
	case tok.revoked != "":
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": tok.revoked})
		return
	case tok.kind != m.tokenKind:
		writeJSON(w, http.StatusOK, obj{"ok": false, "error": "not_allowed_token_type"})
		return
	}
	scope := m.scope
	if name == "conversations.info" {
		f.mu.Lock()
		if c, ok := f.channels[args["channel"]]; ok && c.Private {
			scope = "groups:read"
		}
		f.mu.Unlock()
	}
	if scope != "" && !slices.Contains(tok.scopes, scope) {
		body := errorBody("missing_scope", tok)
		body["needed"] = scope
		writeJSON(w, http.StatusOK, body)
		return
	}
	res, code := m.handle(f, tok, args)
	if code != "" {
		// A handler may add details to an error (invalid_blocks' errors,
		// missing_scope's needed).
		body := errorBody(code, tok)
		if o, ok := res.(obj); ok {
			for k, v := range o {
				body[k] = v
			}
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	out := obj{"ok": true}
	if o, ok := res.(obj); ok {
		for k, v := range o {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func errorBody(code string, tok *token) obj {
	body := obj{"ok": false, "error": code}
	if code == "missing_scope" && tok != nil {
		body["provided"] = strings.Join(tok.scopes, ",")
	}
	return body
}

// takeInjection pops the next injected failure of method. Callers hold f.mu.
func (f *Fake) takeInjection(name string) *injection {
	q := f.inject[name]
	for len(q) > 0 && q[0].remaining <= 0 {
		q = q[1:]
	}
	f.inject[name] = q
	if len(q) == 0 {
		return nil
	}
	q[0].remaining--
	c := *q[0]
	return &c
}

// parseArgs reads a request's arguments from the query (GET), a form or
// multipart body, or a JSON object body; it returns the token found in the
// form, which a JSON body may not carry.
func parseArgs(r *http.Request) (map[string]string, string, error) {
	args := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodGet {
		for k, v := range r.URL.Query() {
			if k != "token" && len(v) > 0 {
				args[k] = v[0]
			}
		}
		return args, "", nil
	}
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", fmt.Errorf("invalid_json")
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			return args, "", nil // slack-go opens Socket Mode with an empty JSON body
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, "", fmt.Errorf("json_not_object")
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				args[k] = s
			} else {
				args[k] = string(v)
			}
		}
		delete(args, "token")
		return args, "", nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, "", fmt.Errorf("invalid_form_data")
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, "", fmt.Errorf("invalid_form_data")
		}
	}
	var form url.Values = r.PostForm
	if r.MultipartForm != nil {
		form = r.MultipartForm.Value
	}
	for k, v := range form {
		if len(v) > 0 {
			args[k] = v[0]
		}
	}
	tok := args["token"]
	delete(args, "token")
	return args, tok, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Fake) authTest(_ *token, _ map[string]string) (any, string) {
	return obj{"url": "https://acme.slack.com/", "team": "Acme", "user": "parley", "team_id": TeamID,
		"user_id": BotUserID, "bot_id": BotID, "app_id": AppID, "is_enterprise_install": false}, ""
}

func (f *Fake) botsInfo(_ *token, args map[string]string) (any, string) {
	if args["bot"] != BotID {
		return nil, "bot_not_found"
	}
	return obj{"bot": obj{"id": BotID, "app_id": AppID, "user_id": BotUserID, "name": "parley", "deleted": false}}, ""
}

func (f *Fake) usersInfo(_ *token, args map[string]string) (any, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[args["user"]]
	if !ok {
		return nil, "user_not_found"
	}
	img := u.Image72
	if img == "" {
		img = "https://avatars.example/" + u.ID + ".png"
	}
	return obj{"user": obj{"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.RealName,
		"deleted": false, "is_bot": u.IsBot || u.ID == BotUserID, "updated": 1700000000, "tz": "Europe/London",
		"profile": obj{"display_name": u.DisplayName, "display_name_normalized": u.DisplayName,
			"real_name": u.RealName, "real_name_normalized": u.RealName,
			"image_24": img, "image_32": img, "image_48": img, "image_72": img, "image_192": img, "image_512": img}}}, ""
}

func channelJSON(c *channelState) obj {
	return obj{"id": c.ID, "name": c.Name, "is_channel": !c.Private, "is_group": c.Private,
		"is_private": c.Private, "is_archived": c.Archived, "is_member": c.BotMember, "created": 1690000000,
		"topic": obj{"value": ""}, "purpose": obj{"value": ""}}
}

func (f *Fake) conversationsInfo(_ *token, args map[string]string) (any, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.channels[args["channel"]]
	if !ok || (c.Private && !c.BotMember) {
		return nil, "channel_not_found" // Slack hides private channels the bot is not in
	}
	return obj{"channel": channelJSON(c)}, ""
}

func (f *Fake) conversationsList(tok *token, args map[string]string) (any, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	types := args["types"]
	if types == "" {
		types = "public_channel"
	}
	if strings.Contains(types, "private_channel") && !slices.Contains(tok.scopes, "groups:read") {
		return obj{"needed": "groups:read"}, "missing_scope"
	}
	ids := make([]string, 0, len(f.channels))
	for id := range f.channels {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	list := []obj{}
	for _, id := range ids {
		c := f.channels[id]
		if c.Private && (!strings.Contains(types, "private_channel") || !c.BotMember) {
			continue
		}
		if c.Archived && args["exclude_archived"] == "true" {
			continue
		}
		list = append(list, channelJSON(c))
	}
	return obj{"channels": list, "response_metadata": obj{"next_cursor": ""}}, ""
}

func (f *Fake) conversationsJoin(_ *token, args map[string]string) (any, string) {
	f.mu.Lock()
	c, ok := f.channels[args["channel"]]
	switch {
	case !ok:
		f.mu.Unlock()
		return nil, "channel_not_found"
	case c.Private:
		f.mu.Unlock()
		return nil, "method_not_supported_for_channel_type"
	case c.Archived:
		f.mu.Unlock()
		return nil, "is_archived"
	case c.BotMember:
		f.mu.Unlock()
		return obj{"channel": channelJSON(c), "warning": "already_in_channel",
			"response_metadata": obj{"warnings": []string{"already_in_channel"}}}, ""
	}
	c.BotMember = true
	ts := f.nextTS(c)
	f.mu.Unlock()
	f.emit(obj{"type": "message", "subtype": "channel_join", "channel": c.ID, "user": BotUserID,
		"text": "<@" + BotUserID + "> has joined the channel", "ts": ts, "event_ts": ts, "channel_type": "channel"})
	return obj{"channel": channelJSON(c)}, ""
}

// postMessage validates, stores and echoes one message.
func (f *Fake) postMessage(tok *token, args map[string]string) (any, string) {
	f.mu.Lock()
	c, ok := f.channels[args["channel"]]
	switch {
	case !ok || (c.Private && !c.BotMember):
		f.mu.Unlock()
		return nil, "channel_not_found"
	case c.Archived:
		f.mu.Unlock()
		return nil, "is_archived"
	case !c.BotMember && (c.Private || !slices.Contains(tok.scopes, "chat:write.public")):
		f.mu.Unlock()
		return nil, "not_in_channel"
	case args["text"] == "" && args["blocks"] == "" && args["attachments"] == "":
		f.mu.Unlock()
		return nil, "no_text"
	}
	if b := args["blocks"]; b != "" {
		if errs := validateBlocks(b); len(errs) > 0 {
			f.mu.Unlock()
			return blocksErrorBody(errs), "invalid_blocks"
		}
	}
	if th := args["thread_ts"]; th != "" && !c.hasRoot(th) {
		f.mu.Unlock()
		return nil, "thread_not_found"
	}
	var warning string
	text := args["text"]
	if len([]rune(text)) > 40000 {
		text = string([]rune(text)[:40000])
		warning = "message_truncated"
	}
	m := &Message{Channel: c.ID, TS: f.nextTS(c), ThreadTS: args["thread_ts"], User: BotUserID, BotID: BotID,
		Text: text, Blocks: args["blocks"], Args: args}
	// Without chat:write.customize Slack silently ignores the overrides.
	if slices.Contains(tok.scopes, "chat:write.customize") {
		m.Username, m.IconURL, m.IconEmoji = args["username"], args["icon_url"], args["icon_emoji"]
	}
	c.messages = append(c.messages, m)
	f.mu.Unlock()

	ev := f.messageEvent(m)
	f.emit(ev)
	out := obj{"channel": c.ID, "ts": m.TS, "message": ev}
	if warning != "" {
		out["warning"] = warning
		out["response_metadata"] = obj{"warnings": []string{warning}}
	}
	return out, ""
}

// chatUpdate edits a message the app posted, as chat.update does: text
// and blocks change in place (blocks left out keep the old ones, "[]"
// removes them), and Slack sends message_changed with "edited" by the bot.
func (f *Fake) chatUpdate(_ *token, args map[string]string) (any, string) {
	f.mu.Lock()
	c, ok := f.channels[args["channel"]]
	var m *Message
	if ok {
		m = c.find(args["ts"])
	}
	text, blocks := args["text"], args["blocks"]
	switch {
	case !ok || (c.Private && !c.BotMember):
		f.mu.Unlock()
		return nil, "channel_not_found"
	case args["ts"] == "":
		f.mu.Unlock()
		return nil, "invalid_arguments"
	case c.Archived:
		f.mu.Unlock()
		return nil, "is_inactive" // frozen, archived or deleted channel
	case m == nil:
		f.mu.Unlock()
		return nil, "message_not_found"
	case m.User != BotUserID:
		f.mu.Unlock()
		return nil, "cant_update_message" // only the app's own messages
	case text == "" && blocks == "" && args["attachments"] == "":
		f.mu.Unlock()
		return nil, "no_text"
	case len([]rune(text)) > 40000:
		f.mu.Unlock()
		return nil, "msg_too_long" // chat.update refuses what chat.postMessage would truncate
	}
	if blocks != "" {
		if errs := validateBlocks(blocks); len(errs) > 0 {
			f.mu.Unlock()
			return blocksErrorBody(errs), "invalid_blocks"
		}
		m.Blocks = blocks
		if strings.TrimSpace(blocks) == "[]" {
			m.Blocks = ""
		}
	}
	prev := copyMessage(m)
	m.Text, m.Edited = text, true
	changeTS := f.changeTS()
	cur := copyMessage(m)
	f.mu.Unlock()

	f.emit(f.changedEvent(prev, cur, BotUserID, changeTS))
	msg := f.messageEvent(&cur)
	delete(msg, "channel")
	msg["edited"] = obj{"user": BotUserID, "ts": changeTS}
	return obj{"channel": c.ID, "ts": cur.TS, "text": cur.Text, "message": msg}, ""
}

// find returns the message with ts, nil when there is none. Callers hold
// f.mu.
func (c *channelState) find(ts string) *Message {
	if ts == "" {
		return nil
	}
	for _, m := range c.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (c *channelState) hasRoot(ts string) bool {
	for _, m := range c.messages {
		if m.TS == ts && m.ThreadTS == "" {
			return true
		}
	}
	return false
}

// messageEvent is the message inner event (and chat.postMessage "message")
// for a stored message, with the bot fields on the app's own posts.
func (f *Fake) messageEvent(m *Message) obj {
	ev := obj{"type": "message", "channel": m.Channel, "user": m.User, "text": m.Text, "ts": m.TS,
		"event_ts": m.TS, "channel_type": "channel", "team": TeamID}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
		ev["parent_user_id"] = f.rootAuthor(m.Channel, m.ThreadTS)
	}
	if m.BotID != "" {
		ev["bot_id"] = m.BotID
		ev["app_id"] = AppID
		ev["bot_profile"] = obj{"id": BotID, "app_id": AppID, "name": "parley", "team_id": TeamID, "deleted": false}
		if m.Username != "" {
			ev["subtype"] = "bot_message"
			ev["username"] = m.Username
		}
		// Slack shows the per-message avatar as "icons": an emoji wins
		// over an image URL.
		switch {
		case m.IconEmoji != "":
			ev["icons"] = obj{"emoji": m.IconEmoji}
		case m.IconURL != "":
			ev["icons"] = obj{"image_36": m.IconURL, "image_48": m.IconURL, "image_72": m.IconURL}
		}
	} else {
		ev["client_msg_id"] = fmt.Sprintf("cm-%s", m.TS)
	}
	if blocks := renderBlocks(m.Blocks); blocks != nil {
		ev["blocks"] = blocks
	}
	if len(m.Reactions) > 0 {
		ev["reactions"] = reactionsJSON(m.Reactions)
	}
	return ev
}

func (f *Fake) rootAuthor(channel, ts string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.channels[channel]; ok {
		for _, m := range c.messages {
			if m.TS == ts {
				return m.User
			}
		}
	}
	return ""
}

func (f *Fake) getUploadURL(_ *token, args map[string]string) (any, string) {
	n, err := strconv.Atoi(args["length"])
	if args["filename"] == "" || err != nil || n <= 0 {
		return nil, "invalid_arguments"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fileSeq++
	id := fileID(f.fileSeq)
	f.files[id] = &File{ID: id, Name: args["filename"], User: BotUserID, Content: nil,
		MIMEType: "application/octet-stream", Title: args["filename"]}
	f.files[id].Content = make([]byte, 0, n)
	f.uploadLen[id] = n
	return obj{"upload_url": f.srv.URL + "/upload/v1/" + id, "file_id": id}, ""
}

// serveUpload receives the bytes of an upload (raw or multipart field
// "file") and answers 200 with a plain body, as Slack's upload host does.
func (f *Fake) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var data []byte
	var err error
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		var part *multipart.FileHeader
		if err = r.ParseMultipartForm(64 << 20); err == nil {
			if fs := r.MultipartForm.File["file"]; len(fs) > 0 {
				part = fs[0]
			}
		}
		if part == nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		fh, ferr := part.Open()
		if ferr != nil {
			http.Error(w, "bad file", http.StatusBadRequest)
			return
		}
		data, err = io.ReadAll(fh)
		_ = fh.Close()
	} else {
		data, err = io.ReadAll(r.Body)
	}
	if err != nil {
		http.Error(w, "read failed", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.files[id]
	if !ok || fl.Complete {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	if f.uploadLen[id] != len(data) {
		http.Error(w, "length mismatch", http.StatusBadRequest)
		return
	}
	fl.Content = data
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

func (f *Fake) completeUpload(_ *token, args map[string]string) (any, string) {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if json.Unmarshal([]byte(args["files"]), &list) != nil || len(list) == 0 {
		return nil, "invalid_arguments"
	}
	f.mu.Lock()
	var c *channelState
	if ch := args["channel_id"]; ch != "" {
		var ok bool
		if c, ok = f.channels[ch]; !ok {
			f.mu.Unlock()
			return nil, "channel_not_found"
		}
		if c.Archived {
			f.mu.Unlock()
			return nil, "is_archived"
		}
		if !c.BotMember {
			f.mu.Unlock()
			return nil, "not_in_channel"
		}
	}
	out := []obj{}
	var ids []string
	for _, it := range list {
		fl, ok := f.files[it.ID]
		if !ok || len(fl.Content) != f.uploadLen[it.ID] {
			f.mu.Unlock()
			return nil, "file_not_found"
		}
		fl.Complete = true
		if it.Title != "" {
			fl.Title = it.Title
		}
		ids = append(ids, fl.ID)
		out = append(out, obj{"id": fl.ID, "title": fl.Title})
	}
	var m *Message
	if c != nil {
		m = &Message{Channel: c.ID, TS: f.nextTS(c), ThreadTS: args["thread_ts"], User: BotUserID,
			Text: args["initial_comment"], Files: ids, Args: args}
		for _, id := range ids {
			f.files[id].Channel, f.files[id].ThreadTS = c.ID, m.ThreadTS
		}
		c.messages = append(c.messages, m)
	}
	f.mu.Unlock()
	if m != nil {
		ev := f.messageEvent(m)
		ev["subtype"] = "file_share"
		ev["files"] = f.fileObjects(ids)
		f.emit(ev)
	}
	return obj{"files": out}, ""
}

func (f *Fake) filesInfo(_ *token, args map[string]string) (any, string) {
	objs := f.fileObjects([]string{args["file"]})
	if len(objs) == 0 {
		return nil, "file_not_found"
	}
	return obj{"file": objs[0], "comments": []any{}, "paging": obj{"count": 0, "total": 0, "page": 1, "pages": 0}}, ""
}

// fileObjects renders Slack file objects, with url_private on this origin.
func (f *Fake) fileObjects(ids []string) []obj {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []obj
	for _, id := range ids {
		fl, ok := f.files[id]
		if !ok {
			continue
		}
		priv := fmt.Sprintf("%s/files-pri/%s-%s/%s", f.srv.URL, TeamID, fl.ID, url.PathEscape(fl.Name))
		o := obj{"id": fl.ID, "name": fl.Name, "title": fl.Title, "mimetype": fl.MIMEType,
			"filetype": "binary", "size": len(fl.Content), "mode": "hosted", "user": fl.User,
			"url_private": priv, "url_private_download": priv + "?download=1",
			"permalink": f.srv.URL + "/files/" + fl.User + "/" + fl.ID, "is_external": fl.External}
		if fl.External {
			o["mode"] = "external"
			o["url_private"] = "https://drive.example.com/" + fl.ID
			delete(o, "url_private_download")
		}
		out = append(out, o)
	}
	return out
}

// serveFile serves url_private: only to a Bearer token holding files:read;
// anyone else is redirected to the sign-in page, as Slack does.
func (f *Fake) serveFile(w http.ResponseWriter, r *http.Request) {
	teamFile := r.PathValue("teamfile")
	id := strings.TrimPrefix(teamFile, TeamID+"-")
	tokStr := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	tok := f.tokens[tokStr]
	fl, ok := f.files[id]
	var data []byte
	if ok {
		data = slices.Clone(fl.Content)
	}
	f.calls = append(f.calls, Call{Method: "GET url_private", Token: tokStr, Args: map[string]string{"file": id},
		Header: r.Header.Clone(), Time: time.Now()})
	f.mu.Unlock()
	if tok == nil || tok.revoked != "" || !slices.Contains(tok.scopes, "files:read") {
		http.Redirect(w, r, "/signin?redir="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", fl.MIMEType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// blocksErrorBody is the detail Slack adds to invalid_blocks.
func blocksErrorBody(errs blockError) obj {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = "[ERROR] " + e
	}
	return obj{"errors": []string(errs), "response_metadata": obj{"messages": msgs}}
}
