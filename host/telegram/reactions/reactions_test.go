package reactions

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]struct {
		out string
		ok  bool
	}{
		"👍": {"👍", true}, "❤️": {"❤", true}, "❤️‍🔥": {"❤‍🔥", true}, "👀": {"👀", true},
		"🦆": {"🦆", false}, "": {"", false}, "👍👍": {"👍👍", false}, ":thumbsup:": {":thumbsup:", false},
	} {
		if out, ok := Normalize(in); out != want.out || ok != want.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", in, out, ok, want.out, want.ok)
		}
	}
}
