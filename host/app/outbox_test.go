package app

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/config"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// `parley outbox retry --all [--channel X]` brings failed rows back in
// bulk, one channel's or all; bad arguments get the usage and change
// nothing.
func TestOutboxRetryAll(t *testing.T) {
	cfg := &config.Config{Store: config.Store{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "parley.db")}}
	st, err := openStore(t.Context(), cfg, hclog.NewNullLogger(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, ch := range []string{"slack", "slack", "helpscout"} {
		_, err := st.CommitInbound(t.Context(), store.Inbound{UpdateID: int64(i + 1), ChatID: int64(i + 1), Channels: []string{ch},
			Messages: []sdk.Message{{ID: "m" + string(rune('a'+i)), Kind: sdk.KindText, Text: "hi"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	ds, err := st.ClaimDeliveries(t.Context(), store.ClaimOptions{Owner: "w", Limit: 10, Lease: time.Minute})
	if err != nil || len(ds) != 3 {
		t.Fatalf("claimed %d: %v", len(ds), err)
	}
	for _, d := range ds {
		if err := st.FailDelivery(t.Context(), d.ID, "w", "desk down"); err != nil {
			t.Fatal(err)
		}
	}
	failed := func() map[string]int {
		rows, err := st.Queue(t.Context(), 100, store.StateFailed)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, r := range rows {
			m[r.Channel]++
		}
		return m
	}
	outbox := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Outbox(t.Context(), cfg, args, false, &out)
		return out.String(), err
	}

	for _, bad := range [][]string{{"retry"}, {"retry", "--channel", "slack"}, {"retry", "--all", "delivery:1"}, {"retry", "--bogus"}, {"again"}} {
		if _, err := outbox(bad...); err == nil || !strings.Contains(err.Error(), "usage: parley outbox") {
			t.Errorf("outbox %v: error %v, want the usage", bad, err)
		}
	}
	if got := failed(); got["slack"] != 2 || got["helpscout"] != 1 {
		t.Fatalf("failed rows after bad arguments: %v", got)
	}
	out, err := outbox("retry", "--all", "--channel", "slack")
	if err != nil || !strings.Contains(out, "2 failed rows of channel slack are ready again") {
		t.Fatalf("retry --all --channel slack: %q, %v", out, err)
	}
	if got := failed(); got["slack"] != 0 || got["helpscout"] != 1 {
		t.Fatalf("failed rows after retrying slack: %v", got)
	}
	out, err = outbox("retry", "--all")
	if err != nil || !strings.Contains(out, "1 failed rows are ready again") {
		t.Fatalf("retry --all: %q, %v", out, err)
	}
	if got := failed(); len(got) != 0 {
		t.Fatalf("failed rows after retrying all: %v", got)
	}
	// The single-row form still works.
	if _, err := outbox("retry", "delivery:1"); err != nil {
		t.Fatalf("retry delivery:1: %v", err)
	}
}
