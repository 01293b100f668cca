package slackfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Attempt is one HTTP delivery attempt of an Events API request.
type Attempt struct {
	RetryNum int
	Status   int // 0 when the request failed
	Latency  time.Duration
	Err      string
}

// Kinds of [Delivery].
const (
	// KindEvent is an Events API event_callback (events_api envelope over
	// Socket Mode).
	KindEvent = "events_api"
	// KindInteractive is an interactivity payload such as block_actions
	// (interactive envelope over Socket Mode).
	KindInteractive = "interactive"
)

// Delivery is one event or interactivity payload sent to the app, with
// every attempt made.
type Delivery struct {
	// Kind is [KindEvent] or [KindInteractive].
	Kind string
	// EventID is the event_id of an event; empty for interactivity.
	EventID string
	// Body is the exact signed request body: the event_callback JSON, or
	// for interactivity the form body "payload=<url-encoded JSON>". Over
	// Socket Mode it is the envelope's payload.
	Body []byte
	// Payload is the interactivity payload JSON (nil for events).
	Payload []byte
	// Attempts are the HTTP attempts; none over Socket Mode, where
	// [Fake.Acked] tells whether the app acknowledged the envelope.
	Attempts []Attempt
	// Socket is true when the event went out as a Socket Mode envelope.
	Socket     bool
	EnvelopeID string
}

// OK reports whether the last attempt got a 2xx answer.
func (d Delivery) OK() bool {
	if len(d.Attempts) == 0 {
		return false
	}
	s := d.Attempts[len(d.Attempts)-1].Status
	return s >= 200 && s < 300
}

type queuedEvent struct {
	kind    string // KindEvent or KindInteractive
	eventID string
	body    []byte // event_callback JSON, or the interactivity payload JSON
	// socket forces Socket Mode delivery.
	socket bool
	done   chan Delivery
}

// SetEventsURL sets the Events API request URL (the app's
// /hooks/<channel>); events go there unless a Socket Mode client has
// connected.
func (f *Fake) SetEventsURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.eventsTo = u
}

// Deliveries returns every event delivery so far, oldest first.
func (f *Fake) Deliveries() []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Delivery(nil), f.deliveries...)
}

// wrap builds the event_callback body around an inner event.
func (f *Fake) wrap(inner any) (string, []byte) {
	f.mu.Lock()
	f.eventSeq++
	id := fmt.Sprintf("Ev%08d", f.eventSeq)
	f.mu.Unlock()
	body, _ := json.Marshal(obj{
		"type": "event_callback", "token": "legacy-verification-token", "team_id": TeamID,
		"api_app_id": AppID, "event": inner, "event_id": id, "event_time": time.Now().Unix(),
		"event_context": "EC" + id, "is_ext_shared_channel": false,
		"authorizations": []obj{{"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false}},
	})
	return id, body
}

// emit queues an inner event for delivery in order and returns at once;
// the fake uses it for the echoes of the app's own posts.
func (f *Fake) emit(inner any) <-chan Delivery {
	id, body := f.wrap(inner)
	return f.enqueue(queuedEvent{kind: KindEvent, eventID: id, body: body})
}

// enqueue queues q for delivery in order and returns where its
// [Delivery] will be reported.
func (f *Fake) enqueue(q queuedEvent) <-chan Delivery {
	q.done = make(chan Delivery, 1)
	select {
	case f.events <- q:
	case <-f.done:
	}
	return q.done
}

// SendEvent wraps inner in an event_callback with a fresh event_id, sends
// it (Events API or Socket Mode, in order with every other event) and
// returns once Slack would consider it delivered: a 2xx or the retry
// schedule exhausted over HTTP, the envelope written over Socket Mode.
func (f *Fake) SendEvent(ctx context.Context, inner any) (Delivery, error) {
	return f.await(ctx, f.emit(inner))
}

// SendSocketEnvelope sends inner as an events_api envelope over Socket
// Mode (queued until a client connects) and returns its envelope id.
func (f *Fake) SendSocketEnvelope(ctx context.Context, inner any) (string, error) {
	id, body := f.wrap(inner)
	q := queuedEvent{kind: KindEvent, eventID: id, body: body, socket: true, done: make(chan Delivery, 1)}
	select {
	case f.events <- q:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	d, err := f.await(ctx, q.done)
	return d.EnvelopeID, err
}

func (f *Fake) await(ctx context.Context, ch <-chan Delivery) (Delivery, error) {
	select {
	case d := <-ch:
		return d, nil
	case <-ctx.Done():
		return Delivery{}, ctx.Err()
	case <-f.done:
		return Delivery{}, errors.New("slackfake: closed")
	}
}

// runEvents delivers queued events one at a time, so the app sees them in
// the order they happened.
func (f *Fake) runEvents() {
	defer f.wg.Done()
	for {
		select {
		case <-f.done:
			return
		case q := <-f.events:
			f.mu.Lock()
			url := f.eventsTo
			if q.kind == KindInteractive && f.interactivityTo != "" {
				url = f.interactivityTo
			}
			f.mu.Unlock()
			var d Delivery
			switch {
			case q.socket || f.socket.active():
				d = Delivery{EventID: q.eventID, Body: q.body, Socket: true, EnvelopeID: f.socket.send(q.kind, q.body)}
			case url != "" && q.kind == KindInteractive:
				d = f.deliverInteraction(url, q.body)
			case url != "":
				d = f.deliverHTTP(url, q.eventID, q.body)
			default:
				d = Delivery{EventID: q.eventID, Body: q.body} // no subscriber: Slack drops it
			}
			d.Kind = q.kind
			if q.kind == KindInteractive {
				d.Payload = q.body
			}
			f.mu.Lock()
			f.deliveries = append(f.deliveries, d)
			f.mu.Unlock()
			q.done <- d
		}
	}
}

// deliverHTTP posts a signed event and follows Slack's retry schedule until
// a 2xx, X-Slack-No-Retry on a failure, or the schedule ends.
func (f *Fake) deliverHTTP(url, id string, body []byte) Delivery {
	d := Delivery{EventID: id, Body: body}
	for n, delay := range f.retryDelays {
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-f.done:
				return d
			}
		}
		status, noRetry, lat, err := f.post(url, body, n, time.Now(), SigningSecret)
		a := Attempt{RetryNum: n, Status: status, Latency: lat}
		if err != nil {
			a.Err = err.Error()
		}
		d.Attempts = append(d.Attempts, a)
		if (status >= 200 && status < 300) || noRetry {
			break
		}
	}
	return d
}

// post sends one signed Events API request with Slack's 3 s timeout.
func (f *Fake) post(url string, body []byte, retryNum int, at time.Time, secret string) (status int, noRetry bool, latency time.Duration, err error) {
	return f.postAs(url, "application/json", body, retryNum, at, secret)
}

// postAs sends one signed request of content type ct with Slack's 3 s
// timeout.
func (f *Fake) postAs(url, ct string, body []byte, retryNum int, at time.Time, secret string) (status int, noRetry bool, latency time.Duration, err error) {
	ctx, cancel := context.WithTimeout(f.ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, false, 0, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	if retryNum > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retryNum))
		req.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	latency = time.Since(start)
	if err != nil {
		return 0, false, latency, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header.Get("X-Slack-No-Retry") == "1", latency, nil
}

// Sign computes Slack's request signature: "v0=" + hex(HMAC-SHA256(secret,
// "v0:"+timestamp+":"+body)).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = io.WriteString(mac, "v0:"+timestamp+":")
	_, _ = mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SendURLVerification sends the signed url_verification challenge Slack
// sends when the request URL is saved, and returns the challenge, the
// answer's status and body.
func (f *Fake) SendURLVerification(ctx context.Context) (challenge string, status int, body []byte, err error) {
	challenge = "challenge-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	req, _ := json.Marshal(obj{"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"})
	status, body, err = f.postOnce(ctx, req, time.Now(), SigningSecret, 0)
	return challenge, status, body, err
}

// SendWithBadSignature sends inner signed with the wrong secret and returns
// the answer's status.
func (f *Fake) SendWithBadSignature(ctx context.Context, inner any) (int, error) {
	_, body := f.wrap(inner)
	status, _, err := f.postOnce(ctx, body, time.Now(), "not-the-signing-secret", 0)
	return status, err
}

// SendWithStaleTimestamp sends inner correctly signed but with a
// timestamp age in the past (Slack's replay window is 5 minutes).
func (f *Fake) SendWithStaleTimestamp(ctx context.Context, inner any, age time.Duration) (int, error) {
	_, body := f.wrap(inner)
	status, _, err := f.postOnce(ctx, body, time.Now().Add(-age), SigningSecret, 0)
	return status, err
}

// ReplayExact sends a delivery's exact bytes and event_id again, freshly
// signed, as Slack's retry number retryNum, and returns the status.
func (f *Fake) ReplayExact(ctx context.Context, d Delivery, retryNum int) (int, error) {
	status, _, err := f.postOnce(ctx, d.Body, time.Now(), SigningSecret, retryNum)
	return status, err
}

func (f *Fake) postOnce(ctx context.Context, body []byte, at time.Time, secret string, retryNum int) (int, []byte, error) {
	f.mu.Lock()
	url := f.eventsTo
	f.mu.Unlock()
	if url == "" {
		return 0, nil, errors.New("slackfake: no events URL set")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	if retryNum > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retryNum))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, nil
}
