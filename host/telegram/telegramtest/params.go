package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Upload limits of the cloud Bot API ("Sending files": 10 MB for photos, 50 MB for other files).
const (
	maxUploadSize = 50 << 20
	maxPhotoSize  = 10 << 20
	maxJSONBody   = 10 << 20
)

// params holds a call's parameters the way the Bot API sees them: every value as text, objects and
// arrays as JSON text, whatever the encoding they came in (docs/telegram-fake.md, "Requests").
type params map[string]string

// upload is one file part of a multipart call.
type upload struct {
	Field       string
	Name        string
	ContentType string
	Data        []byte
}

// request is a parsed method call.
type request struct {
	Params  params
	Uploads map[string]upload
}

// parseRequest merges the query string with the body, which may be empty, `null`, JSON,
// urlencoded or multipart (streamed and chunked, as telego sends uploads).
func parseRequest(r *http.Request) (*request, *apiError) {
	req := &request{Params: params{}, Uploads: map[string]upload{}}
	for k, v := range r.URL.Query() {
		req.Params[k] = v[0]
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return req, nil
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		return req, parseMultipart(r, req)
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody))
		if err != nil {
			return nil, badRequest("can't read request body")
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("can't parse request body")
		}
		for k, v := range form {
			req.Params[k] = v[0]
		}
		return req, nil
	default:
		// telego sends application/json; the real server also reads a JSON body sent without a
		// content type, and treats an empty body or `null` as "no parameters".
		body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody))
		if err != nil {
			return nil, badRequest("can't read request body")
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 || string(body) == "null" {
			return req, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, badRequest("can't parse JSON object")
		}
		for k, v := range obj {
			var s string
			if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
				req.Params[k] = s
				continue
			}
			if string(v) == "null" {
				continue
			}
			req.Params[k] = string(v)
		}
		return req, nil
	}
}

func parseMultipart(r *http.Request, req *request) *apiError {
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("can't parse multipart body")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badRequest("can't parse multipart body")
		}
		name := part.FormName()
		if part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, maxJSONBody))
			if err != nil {
				return badRequest("can't parse multipart body")
			}
			req.Params[name] = string(v)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, maxUploadSize+1))
		if err != nil {
			return badRequest("can't parse multipart body")
		}
		if len(data) > maxUploadSize {
			return &apiError{Code: http.StatusRequestEntityTooLarge, Description: "Request Entity Too Large"}
		}
		req.Uploads[name] = upload{Field: name, Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data}
	}
}

// chatRef is a parsed chat_id: a number or an @username.
type chatRef struct {
	ID       int64
	Username string
}

// chat parses the chat_id parameter (a number, a numeric string or @username).
func (p params) chat(key string) (chatRef, *apiError) {
	v := strings.TrimSpace(p[key])
	if v == "" {
		return chatRef{}, badRequest(key + " is empty")
	}
	if strings.HasPrefix(v, "@") {
		return chatRef{Username: v[1:]}, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return chatRef{}, badRequest("chat not found")
	}
	return chatRef{ID: id}, nil
}

// int parses an optional integer parameter; absent means def.
func (p params) int(key string, def int64) (int64, *apiError) {
	v, ok := p[key]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil {
			return int64(f), nil
		}
		return 0, badRequest(fmt.Sprintf("can't parse integer parameter %q", key))
	}
	return n, nil
}

// bool parses an optional boolean parameter.
func (p params) bool(key string) bool {
	v := p[key]
	return v == "true" || v == "True" || v == "1"
}

// rawJSON returns an object or array parameter as JSON, or nil when absent.
func (p params) rawJSON(key string) json.RawMessage {
	v, ok := p[key]
	if !ok || strings.TrimSpace(v) == "" {
		return nil
	}
	if !json.Valid([]byte(v)) {
		return nil
	}
	return json.RawMessage(v)
}
