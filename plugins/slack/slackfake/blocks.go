package slackfake

import (
	"encoding/json"
	"fmt"
)

// Block Kit limits Slack enforces on a message's blocks.
const (
	maxBlocks        = 50
	maxActions       = 25 // elements in one actions block
	maxContext       = 10 // elements in one context block
	maxIDLen         = 255
	maxButtonValue   = 2000
	maxHeaderTextLen = 150
)

// blockError is why Slack refused a blocks argument: the error code
// invalid_blocks with one message per problem, as Slack words them
// ("... [json-pointer:/blocks/0/text]").
type blockError []string

// validateBlocks checks a blocks argument the way chat.postMessage and
// chat.update do, only as deep as the Parley plugin needs: a JSON array of
// at most 50 objects, each with a type and a unique block_id if any; a
// header has plain_text text; a section has text or fields; an actions
// block has 1 to 25 typed elements, buttons with text, an action_id unique
// in the block and a value of at most 2000 characters. Slack checks much
// more; what it checks beyond this the fake accepts.
func validateBlocks(raw string) blockError {
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return blockError{"invalid JSON array [json-pointer:/blocks]"}
	}
	if len(list) > maxBlocks {
		return blockError{fmt.Sprintf("must provide an array with no more than %d items [json-pointer:/blocks]", maxBlocks)}
	}
	var errs blockError
	seen := map[string]bool{}
	for i, r := range list {
		ptr := fmt.Sprintf("/blocks/%d", i)
		var b map[string]any
		if json.Unmarshal(r, &b) != nil || b == nil {
			errs = append(errs, "must be an object [json-pointer:"+ptr+"]")
			continue
		}
		typ, _ := b["type"].(string)
		if typ == "" {
			errs = append(errs, "missing required field: type [json-pointer:"+ptr+"]")
			continue
		}
		if id, ok := b["block_id"]; ok {
			s, isStr := id.(string)
			switch {
			case !isStr || s == "" || len(s) > maxIDLen:
				errs = append(errs, "invalid block_id [json-pointer:"+ptr+"/block_id]")
			case seen[s]:
				errs = append(errs, "duplicate block_id [json-pointer:"+ptr+"/block_id]")
			}
			seen[s] = true
		}
		switch typ {
		case "header":
			if t, _ := b["text"].(map[string]any); t == nil || t["type"] != "plain_text" {
				errs = append(errs, "missing required field: text of type plain_text [json-pointer:"+ptr+"/text]")
			} else if s, _ := t["text"].(string); len([]rune(s)) > maxHeaderTextLen {
				errs = append(errs, fmt.Sprintf("must be less than %d characters [json-pointer:%s/text]", maxHeaderTextLen+1, ptr))
			}
		case "section":
			if b["text"] == nil && b["fields"] == nil {
				errs = append(errs, "must provide either text or fields [json-pointer:"+ptr+"]")
			}
			if acc, ok := b["accessory"].(map[string]any); ok {
				errs = append(errs, validateElement(acc, ptr+"/accessory")...)
			}
		case "actions":
			errs = append(errs, validateElements(b["elements"], ptr, maxActions, true)...)
		case "context":
			errs = append(errs, validateElements(b["elements"], ptr, maxContext, false)...)
		}
	}
	return errs
}

func validateElements(v any, ptr string, max int, interactive bool) []string {
	els, ok := v.([]any)
	if !ok || len(els) == 0 {
		return []string{"missing required field: elements [json-pointer:" + ptr + "/elements]"}
	}
	if len(els) > max {
		return []string{fmt.Sprintf("must provide an array with no more than %d items [json-pointer:%s/elements]", max, ptr)}
	}
	var errs []string
	ids := map[string]bool{}
	for j, e := range els {
		eptr := fmt.Sprintf("%s/elements/%d", ptr, j)
		el, ok := e.(map[string]any)
		if !ok {
			errs = append(errs, "must be an object [json-pointer:"+eptr+"]")
			continue
		}
		if typ, _ := el["type"].(string); typ == "" {
			errs = append(errs, "missing required field: type [json-pointer:"+eptr+"]")
			continue
		}
		if !interactive {
			continue
		}
		errs = append(errs, validateElement(el, eptr)...)
		if id, _ := el["action_id"].(string); id != "" {
			if ids[id] {
				errs = append(errs, "duplicate action_id [json-pointer:"+eptr+"/action_id]")
			}
			ids[id] = true
		}
	}
	return errs
}

// validateElement checks one interactive element; only buttons in depth.
func validateElement(el map[string]any, ptr string) []string {
	var errs []string
	if id, ok := el["action_id"]; ok {
		if s, isStr := id.(string); !isStr || s == "" || len(s) > maxIDLen {
			errs = append(errs, "invalid action_id [json-pointer:"+ptr+"/action_id]")
		}
	}
	if el["type"] != "button" {
		return errs
	}
	if t, _ := el["text"].(map[string]any); t == nil || t["type"] != "plain_text" {
		errs = append(errs, "missing required field: text of type plain_text [json-pointer:"+ptr+"/text]")
	}
	if v, ok := el["value"]; ok {
		if s, isStr := v.(string); !isStr || len([]rune(s)) > maxButtonValue {
			errs = append(errs, fmt.Sprintf("must be a string of at most %d characters [json-pointer:%s/value]", maxButtonValue, ptr))
		}
	}
	return errs
}

// renderBlocks decodes stored blocks for an event or payload and fills in
// what Slack fills in: a block_id on every block and an action_id on every
// interactive element that had none. Slack picks random ids; the fake
// derives them from the position so that they are stable across renders
// of the same message (a click must name the ids the app saw).
func renderBlocks(raw string) []any {
	if raw == "" {
		return nil
	}
	var blocks []any
	if json.Unmarshal([]byte(raw), &blocks) != nil {
		return nil
	}
	for i, v := range blocks {
		b, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := b["block_id"]; !ok {
			b["block_id"] = fmt.Sprintf("blk%d", i)
		}
		fill := func(el map[string]any, j int) {
			if _, ok := el["action_id"]; !ok && el["type"] != "image" {
				el["action_id"] = fmt.Sprintf("act%d.%d", i, j)
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			fill(acc, 0)
		}
		if b["type"] == "actions" {
			if els, ok := b["elements"].([]any); ok {
				for j, e := range els {
					if el, ok := e.(map[string]any); ok {
						fill(el, j)
					}
				}
			}
		}
	}
	return blocks
}

// findButton returns the rendered button with actionID in blocks and the
// block_id of the block holding it.
func findButton(blocks []any, actionID string) (map[string]any, string) {
	for _, v := range blocks {
		b, ok := v.(map[string]any)
		if !ok {
			continue
		}
		var cands []any
		if acc, ok := b["accessory"]; ok {
			cands = append(cands, acc)
		}
		if b["type"] == "actions" {
			if els, ok := b["elements"].([]any); ok {
				cands = append(cands, els...)
			}
		}
		for _, c := range cands {
			el, ok := c.(map[string]any)
			if ok && el["type"] == "button" && el["action_id"] == actionID {
				id, _ := b["block_id"].(string)
				return el, id
			}
		}
	}
	return nil, ""
}
