package sdk

import (
	"net/textproto"
	"strconv"
	"strings"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// headerGet finds a header case-insensitively in a map that may not hold
// canonical keys (headers cross the protocol as sent).
func headerGet(h map[string][]string, name string) string {
	if v := h[textproto.CanonicalMIMEHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}
