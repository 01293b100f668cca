package ident

import (
	"regexp"
	"testing"
)

func TestIDsAreURLSafeAndDistinct(t *testing.T) {
	tests := []struct {
		name string
		gen  func() string
		want *regexp.Regexp
	}{
		{"conversation", Conversation, regexp.MustCompile(`^c_[0-9a-f]{16}$`)},
		{"notice", Notice, regexp.MustCompile(`^n_[0-9a-f]{16}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 1000 {
				id := tt.gen()
				if !tt.want.MatchString(id) {
					t.Fatalf("id %q does not match %s", id, tt.want)
				}
				if seen[id] {
					t.Fatalf("id %q handed out twice", id)
				}
				seen[id] = true
			}
		})
	}
}
