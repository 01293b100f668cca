package demo

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
)

//go:embed web
var webFS embed.FS

// maxUpload bounds a file the visitor sends: enough for a screenshot or a
// PDF, and under the 20 MB a bot may download.
const maxUpload = 10 << 20

// demoHeader must be on every POST: a cross-site form cannot set it, and a
// cross-site fetch with it needs a CORS preflight this server never grants.
const demoHeader = "X-Parley-Demo"

// page serves the two-pane demo and its small JSON API.
type page struct {
	chat   *chat
	desk   desk
	urls   URLs
	plugin string
}

func newPage(c *chat, d desk, urls URLs, plugin string) http.Handler {
	p := &page{chat: c, desk: d, urls: urls, plugin: plugin}
	static, _ := fs.Sub(webFS, "web") // the directory is embedded, so Sub cannot fail
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", p.state)
	mux.HandleFunc("POST /api/chat/text", p.post(p.chatText))
	mux.HandleFunc("POST /api/chat/file", p.post(p.chatFile))
	mux.HandleFunc("POST /api/chat/large", p.post(p.chatLarge))
	mux.HandleFunc("POST /api/chat/location", p.post(p.chatLocation))
	mux.HandleFunc("POST /api/chat/tap", p.post(p.chatTap))
	mux.HandleFunc("POST /api/desk/reply", p.post(p.deskReply))
	mux.HandleFunc("POST /api/desk/action", p.post(p.deskAction))
	return mux
}

// state is everything both panes show; the page polls it.
type state struct {
	Bot     string        `json:"bot"`
	User    string        `json:"user"`
	Plugin  string        `json:"plugin"`
	Status  string        `json:"status_url"`
	Chat    []chatMessage `json:"chat"`
	Threads []deskThread  `json:"threads"`
}

func (p *page) state(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, state{
		Bot: "@parley_demo_bot", User: p.chat.user.FirstName + " " + p.chat.user.LastName, Plugin: p.plugin,
		Status: p.urls.Admin + "/status", Chat: p.chat.Messages(), Threads: p.desk.Threads(),
	})
}

// post wraps an action: checks the demo header and answers {"ok":true} or
// the error.
func (p *page) post(f func(r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(demoHeader) == "" {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "missing " + demoHeader + " header"})
			return
		}
		if err := f(r); err != nil {
			status := http.StatusBadRequest
			var he httpError
			if errors.As(err, &he) {
				status = he.status
			}
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

type httpError struct {
	status int
	err    error
}

func (e httpError) Error() string { return e.err.Error() }
func (e httpError) Unwrap() error { return e.err }

func (p *page) chatText(r *http.Request) error {
	var in struct{ Text string }
	if err := decode(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Text) == "" {
		return errors.New("empty message")
	}
	p.chat.Text(in.Text)
	return nil
}

func (p *page) chatFile(r *http.Request) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxUpload+1<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return httpError{http.StatusRequestEntityTooLarge, errors.New("no file, or a file over 10 MB (use the too-large button for that case)")}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
	if err != nil {
		return err
	}
	if len(data) > maxUpload {
		return httpError{http.StatusRequestEntityTooLarge, errors.New("file over 10 MB (use the too-large button for that case)")}
	}
	name := filepath.Base(hdr.Filename)
	mt := hdr.Header.Get("Content-Type")
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		mt = t
	}
	if mt == "" {
		mt = http.DetectContentType(data)
	}
	p.chat.File(data, name, mt, r.FormValue("caption"))
	return nil
}

func (p *page) chatLarge(*http.Request) error {
	p.chat.LargeFile()
	return nil
}

func (p *page) chatLocation(r *http.Request) error {
	var in struct{ Lat, Lon float64 }
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Lat < -90 || in.Lat > 90 || in.Lon < -180 || in.Lon > 180 || (in.Lat == 0 && in.Lon == 0) {
		in.Lat, in.Lon = 52.5163, 13.3777 // Brandenburg Gate, when the page sends nothing usable
	}
	p.chat.Location(in.Lat, in.Lon)
	return nil
}

func (p *page) deskReply(r *http.Request) error {
	var in struct {
		Thread string `json:"thread"`
		Text   string `json:"text"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Thread == "" || strings.TrimSpace(in.Text) == "" {
		return errors.New("a reply needs a thread and a text")
	}
	if err := p.desk.Reply(r.Context(), in.Thread, in.Text); err != nil {
		return httpError{http.StatusBadGateway, err}
	}
	return nil
}

// chatTap taps an inline keyboard button of a bot message, as the customer.
func (p *page) chatTap(r *http.Request) error {
	var in struct {
		MessageID int    `json:"message_id"`
		Data      string `json:"data"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.MessageID <= 0 || in.Data == "" {
		return errors.New("a tap needs a message_id and the button's data")
	}
	return p.chat.Tap(in.MessageID, in.Data)
}

// deskAction sends a lifecycle action (claim, unclaim, close, reopen) from
// the desk pane, the way the desk would.
func (p *page) deskAction(r *http.Request) error {
	var in struct {
		Thread string `json:"thread"`
		Action string `json:"action"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Thread == "" || !validAction(in.Action) {
		return errors.New(`an action needs a thread and "action": "claim", "unclaim", "close" or "reopen"`)
	}
	a, ok := p.desk.(actor)
	if !ok {
		return httpError{http.StatusNotImplemented, fmt.Errorf("the %s desk has no lifecycle buttons in this demo", p.plugin)}
	}
	if err := a.Act(r.Context(), in.Thread, in.Action); err != nil {
		return httpError{http.StatusBadGateway, err}
	}
	return nil
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(v); err != nil {
		return errors.New("bad JSON body")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
