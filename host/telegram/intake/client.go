package intake

import (
	"context"
	"encoding/json"
	"fmt"

	ta "github.com/mymmrac/telego/telegoapi"
)

// client calls Bot API methods through telego's low-level caller and request constructor: the
// same wire format as telego.Bot, but with the result left raw (telego.Bot decodes a whole
// getUpdates array at once, so one undecodable update fails every call).
type client struct {
	caller ta.Caller
	base   string // <api>/bot<token>/
	token  string
}

// call invokes method with params; a non-nil result receives the raw result on success. Errors
// are *ta.Error for Bot API errors, otherwise transport errors with the token removed.
func (c *client) call(ctx context.Context, method string, params any, result *json.RawMessage) error {
	data, err := ta.DefaultConstructor{}.JSONRequest(params)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", method, err)
	}
	resp, err := c.caller.Call(ctx, c.base+method, data)
	if err != nil {
		return fmt.Errorf("%s: %w", method, scrubError(err, c.token))
	}
	if !resp.Ok {
		if resp.Error == nil {
			return fmt.Errorf("%s: telegram answered ok=false without an error", method)
		}
		return fmt.Errorf("%s: %w", method, resp.Error)
	}
	if result != nil {
		*result = resp.Result
	}
	return nil
}
