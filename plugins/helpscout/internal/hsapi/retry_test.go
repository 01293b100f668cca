package hsapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk/deskhttp"
)

// TestRetryAfterReadsTheSDKsForms: a 429 waits as long as Help Scout asked,
// in seconds or as an HTTP date (the old parser took only seconds and waited
// a minute for a date), and the SDK's fallback when it asked nothing usable.
func TestRetryAfterReadsTheSDKsForms(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tt := range []struct {
		header http.Header
		min    time.Duration
		max    time.Duration
	}{
		{http.Header{"X-Ratelimit-Retry-After": {"7"}}, 7 * time.Second, 7 * time.Second},
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second, 3 * time.Second},
		{http.Header{"Retry-After": {date}}, 80 * time.Second, 90 * time.Second},
		{http.Header{"Retry-After": {"soon"}}, deskhttp.FallbackRetryAfter, deskhttp.FallbackRetryAfter},
		{http.Header{}, deskhttp.FallbackRetryAfter, deskhttp.FallbackRetryAfter},
	} {
		if got := retryAfter(tt.header); got < tt.min || got > tt.max {
			t.Errorf("retryAfter(%v) = %v, want between %v and %v", tt.header, got, tt.min, tt.max)
		}
	}
}
