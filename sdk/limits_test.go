package sdk

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRateLimitedCrossesAsResourceExhaustedWithItsWait(t *testing.T) {
	err := RetryAfter(fmt.Errorf("%w: too many replies", ErrRateLimited), 1500*time.Millisecond)
	wire := toStatus(err, nil)
	if status.Code(wire) != codes.ResourceExhausted {
		t.Fatalf("on the wire: %v, want ResourceExhausted", status.Code(wire))
	}
	back := fromStatus(wire)
	var re *RemoteError
	if !errors.As(back, &re) || re.Code != "ResourceExhausted" || re.Message != "rate limit exceeded: too many replies" {
		t.Errorf("other side got %#v", back)
	}
	if d, ok := RetryHint(back); !ok || d != 1500*time.Millisecond {
		t.Errorf("retry hint = %v, %v; want 1.5s", d, ok)
	}
	// A plain RetryAfter stays Unavailable.
	if c := status.Code(toStatus(RetryAfter(errors.New("busy"), time.Second), nil)); c != codes.Unavailable {
		t.Errorf("plain RetryAfter on the wire: %v, want Unavailable", c)
	}
}
