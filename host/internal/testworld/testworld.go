// Package testworld starts what the benchmark (host/internal/benchrun) and
// the soak (host/internal/soak) run bin/parley among: fake Telegram, the
// webhook desk, free ports on 127.0.0.1, and bin/parley processes, waited
// on until they serve.
package testworld

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// StartTelegram starts a fake Telegram on 127.0.0.1. Its long poll is
// bounded at 1 s, which keeps a host's shutdown quick; under load
// getUpdates returns at once anyway.
func StartTelegram() (*telegramtest.Server, error) {
	tg := telegramtest.New(telegramtest.Options{MaxPollTimeout: time.Second})
	if err := tg.Start(); err != nil {
		return nil, fmt.Errorf("fake telegram: %w", err)
	}
	return tg, nil
}

// StartDesk starts a webhook desk on 127.0.0.1 that signs with secret.
func StartDesk(secret string) (*webhookdesk.Desk, error) {
	desk := webhookdesk.New(secret)
	if err := desk.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	return desk, nil
}

// FreeAddrs returns n distinct free addresses on 127.0.0.1, for a host's
// listeners. Each stays bound until all are picked, so none repeats.
func FreeAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// ParleyCommand is `bin run --config config` with this process's
// environment plus env, its output going to log. It runs in a process
// group of its own, so a plugin it leaves behind (after a SIGKILL) can be
// killed with the group.
func ParleyCommand(bin, config string, env []string, log io.Writer) *exec.Cmd {
	cmd := exec.Command(bin, "run", "--config", config)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

var (
	// ErrExited is WaitHealthy's error when the host exited first.
	ErrExited = errors.New("exited during start")
	// ErrTimeout is WaitHealthy's error when the host did not answer in
	// time.
	ErrTimeout = errors.New("did not start in time")
)

// WaitHealthy polls base+"/healthz" every interval until the host answers
// (a host serves it once its channels are configured). It gives up with
// ErrExited, and what exited delivered, when exited delivers first; with
// ErrTimeout after within; or with ctx's error.
func WaitHealthy[T any](ctx context.Context, base string, exited <-chan T, every, within time.Duration) (T, error) {
	var zero T
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case v := <-exited:
			return v, ErrExited
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-time.After(every):
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return zero, nil
		}
	}
	return zero, ErrTimeout
}
