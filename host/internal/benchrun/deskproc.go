package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-dev/parley/host/internal/webhookdesk"
)

// The desk of the user → desk scenarios runs in a process of its own, as a
// real desk is never inside the host: with the desk in the benchmark's
// process, the in-process baseline's POSTs went from one goroutine to
// another of the same Go runtime, which hands the request over without the
// kernel scheduling anything, while the plugin arm's POSTs crossed
// processes. That made the baseline's desk about 2.5 times closer (p50 73
// µs against 183 µs per POST) and charged the difference to the plugin
// boundary. Now every arm's POSTs cross processes alike.

// deskChildEnv makes benchrun the desk process instead of the benchmark.
const deskChildEnv = "PARLEY_BENCH_DESK_CHILD"

// runDeskChild serves a webhookdesk until stdin closes. It writes the
// desk's URL as its first line, then one line per accepted delivery:
// "d <unix nanoseconds received> <message text>".
func runDeskChild() error {
	desk := webhookdesk.New(deskSecret)
	if err := desk.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer desk.Close()
	out := bufio.NewWriter(os.Stdout)
	lines := make(chan string, 4096)
	desk.OnDeliver(func(d webhookdesk.Delivery) {
		lines <- "d " + strconv.FormatInt(d.Received.UnixNano(), 10) + " " + d.Message.Text + "\n"
	})
	fmt.Fprintln(out, "url", desk.URL())
	if err := out.Flush(); err != nil {
		return err
	}
	go func() {
		// Lines are written as they come and flushed whenever none is
		// waiting: the receipt time travels in the line, so batching the
		// writes costs the measurement nothing.
		for l := range lines {
			_, _ = out.WriteString(l)
			if len(lines) == 0 {
				_ = out.Flush()
			}
		}
	}()
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// deskProcess is the desk child as the benchmark sees it.
type deskProcess struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
	done  chan struct{}

	mu        sync.Mutex
	onDeliver func(webhookdesk.Delivery)
}

// startDeskProcess starts benchrun itself as the desk child.
func startDeskProcess() (*deskProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), deskChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("desk process: %w", err)
	}
	d := &deskProcess{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(first), "url ")
	if err != nil || !ok {
		d.Close()
		return nil, fmt.Errorf("desk process did not say its URL: %q, %v", first, err)
	}
	d.url = url
	go d.read(r)
	return d, nil
}

func (d *deskProcess) read(r *bufio.Reader) {
	defer close(d.done)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		parts := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 3)
		if len(parts) != 3 || parts[0] != "d" {
			continue
		}
		ns, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			continue
		}
		d.mu.Lock()
		f := d.onDeliver
		d.mu.Unlock()
		if f != nil {
			f(webhookdesk.Delivery{Message: webhookdesk.Message{Text: parts[2]}, Received: time.Unix(0, ns)})
		}
	}
}

// URL is where the webhook plugin posts.
func (d *deskProcess) URL() string { return d.url }

// OnDeliver registers the callback for every accepted delivery. Only the
// message text and the receipt time are filled in.
func (d *deskProcess) OnDeliver(f func(webhookdesk.Delivery)) {
	d.mu.Lock()
	d.onDeliver = f
	d.mu.Unlock()
}

// Close stops the child and waits for it.
func (d *deskProcess) Close() {
	_ = d.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- d.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-exited
	}
}

// deskReceiver is what a scenario needs of its desk: the in-process one
// (replies, which the desk sends) or the child.
type deskReceiver interface {
	URL() string
	OnDeliver(func(webhookdesk.Delivery))
	Close()
}

var (
	_ deskReceiver = (*deskProcess)(nil)
	_ deskReceiver = (*webhookdesk.Desk)(nil)
)
