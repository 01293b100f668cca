package sdk_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/parley-dev/parley/sdk"
)

func TestConfiguredBeforeAndAfterSet(t *testing.T) {
	var c sdk.Configured[string]
	if v, err := c.Get(); !errors.Is(err, sdk.ErrNotConfigured) || v != nil {
		t.Fatalf("before Set: %v, %v; want ErrNotConfigured", v, err)
	}
	a, b := "a", "b"
	if old := c.Set(&a); old != nil {
		t.Fatalf("first Set returned %v", *old)
	}
	if old := c.Set(&b); old != &a {
		t.Fatalf("second Set returned %v, want the first value", old)
	}
	if v, err := c.Get(); err != nil || v != &b {
		t.Fatalf("after Set: %v, %v", v, err)
	}
}

// TestConfiguredConcurrent is for the race detector: Configure swaps while
// Deliver reads.
func TestConfiguredConcurrent(t *testing.T) {
	var c sdk.Configured[int]
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			n := i
			c.Set(&n)
			if v, err := c.Get(); err != nil || v == nil {
				t.Errorf("Get after Set: %v, %v", v, err)
			}
		})
	}
	wg.Wait()
}
