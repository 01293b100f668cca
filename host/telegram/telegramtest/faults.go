package telegramtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a scripted failure. It applies to the next Times calls that match Method and
// ChatID; the fake then answers Status (with RetryAfter for 429), after Delay, or drops the
// connection. A Fault with only Delay slows calls down and then answers normally.
type Fault struct {
	// Method is the Bot API method (case-insensitive), "download" for file downloads, or "" for any.
	Method string
	// ChatID limits the fault to calls whose chat_id is this chat; 0 means any.
	ChatID int64
	// Times is how many matching calls fail; 0 means 1, negative means every call from now on.
	Times int
	// Skip is how many matching calls pass untouched before the fault applies (fail the second
	// message of a long reply: Skip 1).
	Skip int
	// Status is the HTTP status and error_code to answer (429, 500, 502, 400, 401, 409, ...).
	Status int
	// Description overrides the default text for Status.
	Description string
	// RetryAfter is the 429 retry_after in seconds (body parameters and Retry-After header).
	RetryAfter int
	// MigrateToChatID fills parameters.migrate_to_chat_id (a group upgraded to a supergroup).
	MigrateToChatID int64
	// HTML answers an nginx-style HTML page instead of the JSON envelope (502/504/413 from the cloud).
	HTML bool
	// Delay is waited before answering (or before dropping the connection).
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
}

// Inject schedules f. Faults are matched in the order they were injected.
func (s *Bot) Inject(f Fault) {
	f.Method = strings.ToLower(f.Method)
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.state.faults = append(s.state.faults, &f)
	s.mu.Unlock()
}

// TooManyRequests makes the next n calls of method (any method if "") answer 429 with retry_after.
func (s *Bot) TooManyRequests(method string, n, retryAfter int) {
	s.Inject(Fault{Method: method, Times: n, Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// ClearFaults removes every scheduled fault.
func (s *Bot) ClearFaults() {
	s.mu.Lock()
	s.state.faults = nil
	s.mu.Unlock()
}

// Served429 is how many 429 answers the fake has given.
func (s *Bot) Served429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.served429
}

// takeFault consumes one use of the first fault matching a call.
func (s *Bot) takeFault(method string, p params) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.state.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.ChatID != 0 && p["chat_id"] != strconv.FormatInt(f.ChatID, 10) {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			return Fault{}, false
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.state.faults = append(s.state.faults[:i:i], s.state.faults[i+1:]...)
			}
		}
		if out.Status == http.StatusTooManyRequests {
			s.state.served429++
		}
		return out, true
	}
	return Fault{}, false
}

// applyFault carries f out; done reports whether the request has been answered.
func (s *Bot) applyFault(w http.ResponseWriter, r *http.Request, f Fault) (done bool) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-s.closed:
			t.Stop()
			return true
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // the server closes the connection without an answer
	}
	if f.Status == 0 {
		return false
	}
	e := &apiError{Code: f.Status, Description: f.Description, RetryAfter: f.RetryAfter,
		MigrateToChatID: f.MigrateToChatID, HTML: f.HTML}
	if e.Description == "" {
		e.Description = defaultDescription(f.Status, f.RetryAfter)
	}
	writeError(w, e)
	return true
}

// defaultDescription is Telegram's text for a status.
func defaultDescription(status, retryAfter int) string {
	switch status {
	case http.StatusTooManyRequests:
		return fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	case http.StatusBadRequest:
		return "Bad Request: chat not found"
	case http.StatusUnauthorized:
		return "Unauthorized"
	case http.StatusForbidden:
		return "Forbidden: bot was blocked by the user"
	case http.StatusNotFound:
		return "Not Found"
	case http.StatusConflict:
		return conflictOtherPoll
	case http.StatusRequestEntityTooLarge:
		return "Request Entity Too Large"
	default:
		return "Internal Server Error: " + strings.ToLower(http.StatusText(status))
	}
}
