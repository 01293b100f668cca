package hipchatfake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Fault is a scripted failure of API calls whose method and path match.
type Fault struct {
	// Method matches any method when empty.
	Method string `json:"method"`
	// Path is a regular expression on the URL path ("/room/.*/notification").
	Path string `json:"path"`
	// Times is how many matching calls fail (at least 1).
	Times int `json:"times"`
	// Status is the HTTP status to answer (429, 500, 503, ...). A 429 comes
	// with exhausted rate-limit headers resetting after RetryIn.
	Status int `json:"status"`
	// RetryIn sets the X-Ratelimit-Reset of a 429 (default 30 s).
	RetryIn time.Duration `json:"retry_in"`
	// HTML answers an HTML page instead of the JSON envelope, as proxies do.
	HTML bool `json:"html"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop"`
	// Delay waits before answering (or until the client gives up).
	Delay time.Duration `json:"delay"`

	re   *regexp.Regexp
	left int // guarded by Server.mu
}

// Inject adds a fault; it returns an error for an invalid Path.
func (s *Server) Inject(f *Fault) error {
	re, err := regexp.Compile(f.Path)
	if err != nil {
		return err
	}
	f.re, f.left = re, max(f.Times, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
	return nil
}

// playFault answers r from the first matching fault with calls left.
func (s *Server) playFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var hit *Fault
	for _, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && f.re.MatchString(r.URL.Path) {
			if f.left > 0 {
				f.left--
				hit = f
				break
			}
		}
	}
	now := s.nowLocked()
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	if hit.Delay > 0 {
		select {
		case <-time.After(hit.Delay):
		case <-r.Context().Done():
			return true
		}
	}
	if hit.Drop {
		if hj, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
			w = hj.Unwrap()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if hit.Status == http.StatusTooManyRequests {
		retry := hit.RetryIn
		if retry <= 0 {
			retry = 30 * time.Second
		}
		w.Header().Set("X-Ratelimit-Limit", "100")
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(now.Add(retry).Unix(), 10))
	}
	if hit.HTML {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(hit.Status)
		_, _ = io.WriteString(w, "<html><body><h1>"+strconv.Itoa(hit.Status)+" Bad Gateway</h1></body></html>")
		return true
	}
	writeError(w, hit.Status, http.StatusText(hit.Status))
	return true
}

// controlRoutes serves /_fake/, for demos and tests in other languages:
//
//	POST /_fake/rooms/{id}/say   {"user_id":0,"text":"#42 hi","file":{"name":..,"content_type":..,"data_base64":..}}
//	GET  /_fake/rooms/{id}/history
//	GET  /_fake/requests
//	GET  /_fake/deliveries
//	POST /_fake/faults           a Fault as JSON (retry_in and delay in nanoseconds)
//	POST /_fake/jwt              {"in_query":false,"fault":0}
//	POST /_fake/clock            {"advance_seconds":300}
//	POST /_fake/reset
func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_fake/rooms/{id}/say", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var in struct {
			UserID int64  `json:"user_id"`
			Text   string `json:"text"`
			File   *struct {
				Name        string `json:"name"`
				ContentType string `json:"content_type"`
				Data        string `json:"data_base64"`
			} `json:"file"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		m := Message{UserID: in.UserID, Text: in.Text}
		if in.File != nil {
			data, err := base64.StdEncoding.DecodeString(in.File.Data)
			if err != nil {
				writeError(w, http.StatusBadRequest, "data_base64: "+err.Error())
				return
			}
			m.File = &File{Name: in.File.Name, ContentType: in.File.ContentType, Data: data}
		}
		item, ds, err := s.SendRoomMessage(r.Context(), id, m)
		if err != nil {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"message": s.itemJSON(item), "deliveries": ds})
	})
	mux.HandleFunc("GET /_fake/rooms/{id}/history", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		items := []map[string]any{}
		for _, h := range s.History(id) {
			items = append(items, s.itemJSON(h))
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
	})
	mux.HandleFunc("GET /_fake/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": s.Requests()})
	})
	mux.HandleFunc("GET /_fake/deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": s.Deliveries()})
	})
	mux.HandleFunc("POST /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := s.Inject(&f); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/jwt", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			InQuery bool     `json:"in_query"`
			Fault   JWTFault `json:"fault"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetJWTMode(JWTMode{InQuery: in.InQuery, Fault: in.Fault})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AdvanceSeconds int64 `json:"advance_seconds"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.Advance(time.Duration(in.AdvanceSeconds) * time.Second)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
}
