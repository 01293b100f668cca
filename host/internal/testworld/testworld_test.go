package testworld

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFreeAddrsAreDistinctAndFree(t *testing.T) {
	addrs, err := FreeAddrs(3)
	if err != nil || len(addrs) != 3 {
		t.Fatalf("FreeAddrs = %v, %v", addrs, err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] || !strings.HasPrefix(a, "127.0.0.1:") {
			t.Fatalf("addresses %v: want distinct 127.0.0.1 ones", addrs)
		}
		seen[a] = true
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("%s is not free: %v", a, err)
		}
		ln.Close()
	}
}

func TestParleyCommand(t *testing.T) {
	var log bytes.Buffer
	cmd := ParleyCommand("echo", "/x/parley.toml", []string{"TESTWORLD_PROBE=1"}, &log)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(log.String()); got != "run --config /x/parley.toml" {
		t.Errorf("ran with %q", got)
	}
	if !cmd.SysProcAttr.Setpgid || cmd.Env[len(cmd.Env)-1] != "TESTWORLD_PROBE=1" || len(cmd.Env) < 2 {
		t.Errorf("want its own process group and the environment plus env; env %v", cmd.Env[len(cmd.Env)-1:])
	}
}

func TestWaitHealthy(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	if _, err := WaitHealthy(ctx, srv.URL, make(chan struct{}), time.Millisecond, 5*time.Second); err != nil {
		t.Fatalf("serving host: %v", err)
	}

	// A listener nobody answers on: the host never comes up.
	addrs, err := FreeAddrs(1)
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + addrs[0]
	exited := make(chan error, 1)
	exited <- errors.New("exit status 1")
	if v, err := WaitHealthy(ctx, down, exited, time.Millisecond, 5*time.Second); !errors.Is(err, ErrExited) || v == nil {
		t.Fatalf("exited host: %v, %v; want ErrExited with the exit", v, err)
	}
	if _, err := WaitHealthy(ctx, down, make(chan struct{}), time.Millisecond, 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("silent host: %v; want ErrTimeout", err)
	}
}
