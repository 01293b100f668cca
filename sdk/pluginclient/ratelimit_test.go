package pluginclient

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-dev/parley/sdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRateLimitedCrossesAsResourceExhaustedWithItsWait(t *testing.T) {
	err := sdk.RetryAfter(fmt.Errorf("%w: too many replies", ErrRateLimited), 1500*time.Millisecond)
	wire := codec.ToStatus(err, nil)
	if status.Code(wire) != codes.ResourceExhausted {
		t.Fatalf("on the wire: %v, want ResourceExhausted", status.Code(wire))
	}
	back := codec.FromStatus(wire)
	var re *sdk.RemoteError
	if !errors.As(back, &re) || re.Code != "ResourceExhausted" || re.Message != "rate limit exceeded: too many replies" {
		t.Errorf("other side got %#v", back)
	}
	if d, ok := sdk.RetryHint(back); !ok || d != 1500*time.Millisecond {
		t.Errorf("retry hint = %v, %v; want 1.5s", d, ok)
	}
	// A plain RetryAfter stays Unavailable.
	if c := status.Code(codec.ToStatus(sdk.RetryAfter(errors.New("busy"), time.Second), nil)); c != codes.Unavailable {
		t.Errorf("plain RetryAfter on the wire: %v, want Unavailable", c)
	}
}
