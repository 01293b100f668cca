package config

import (
	"strings"
	"testing"
	"time"
)

func TestDurationDays(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"0d", 0},
		{"30s", 30 * time.Second},
		{"168h", 168 * time.Hour},
		{"0", 0},
	} {
		var d Duration
		if err := d.UnmarshalText([]byte(tt.in)); err != nil || d.Duration != tt.want {
			t.Errorf("%q: got %v, %v; want %v", tt.in, d.Duration, err, tt.want)
		}
	}
	for _, in := range []string{"d", "-1d", "1.5d", "xd", "90 days", "3d-1h", "99999999d", "1dd"} {
		var d Duration
		if err := d.UnmarshalText([]byte(in)); err == nil || !strings.Contains(err.Error(), `"90d"`) {
			t.Errorf("%q: got %v, %v; want an error showing the day unit", in, d.Duration, err)
		}
	}
}

func TestRetention(t *testing.T) {
	if c := mustParse(t, minimal, nil); c.Retention.Messages.Duration != 0 {
		t.Errorf("default retention = %v, want 0 (keep forever)", c.Retention.Messages)
	}
	if c := mustParse(t, minimal+"[retention]\nmessages = \"90d\"\n", nil); c.Retention.Messages.Duration != 90*24*time.Hour {
		t.Errorf("retention = %v, want 90 days", c.Retention.Messages)
	}
	for _, text := range []string{"[retention]\nmessages = \"10m\"\n", "[retention]\nmessages = \"-1h\"\n"} {
		errs := parseProblems(t, minimal+text, nil)
		if len(errs) != 1 || errs[0].Key != "retention.messages" || !strings.Contains(errs[0].Message, "at least 1h0m0s") {
			t.Errorf("%q: problems %v", text, errs)
		}
	}
}
