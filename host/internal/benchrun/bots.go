package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/procstat"
	"github.com/parley-dev/parley/host/internal/testworld"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
	"github.com/prometheus/procfs"
)

// botsShape is one row of the many-bots table: how many bots one host
// runs, and how they receive updates.
type botsShape struct {
	mode string // "polling" or "webhook"
	bots int
}

// botsShapes are the rows the issue asks for: a few hundred polling bots
// (each holds a long poll and a poller lease) and a thousand webhook bots
// (each is a route on the public listener and a sender).
var botsShapes = []botsShape{{"polling", 200}, {"webhook", 1000}}

// botsIdleWindow is how long an idle host is watched for CPU use.
const botsIdleWindow = 10 * time.Second

// botsResult is one row of the many-bots table, measured on bin/parley
// beside the same host with one bot of the same mode (the reference).
type botsResult struct {
	Mode string
	Bots int
	// Ready is how long the host took from start until every bot was
	// serving (webhook registered, or polling).
	Ready time.Duration
	// RSS and RefRSS are the host's resident set when idle, with all bots
	// and with one; PerBot is their difference per extra bot.
	RSS, RefRSS int64
	PerBot      float64
	// IdleCPU and RefIdleCPU are the host's CPU use while idle, in
	// milliseconds of CPU per second (1000 = one core).
	IdleCPU, RefIdleCPU float64
	// Goroutines and RefGoroutines are the host's go_goroutines when idle.
	Goroutines, RefGoroutines int
	// Messages went to as many users spread over all bots at once;
	// Throughput, P50 and P99 are as in the intake table.
	Messages   int
	Throughput float64
	P50, P99   time.Duration
	Duplicates int
	PeakRSS    int64
}

// botsHost is bin/parley serving n bots of one mode, its plugin and desk.
type botsHost struct {
	w    *world
	bots []*telegramtest.Bot
	// admin is the base URL of the host's admin listener.
	admin string
}

// startBotsHost starts fake Telegram with n bots, the desk process and
// bin/parley configured with one [bots.<name>] section per bot, and waits
// until every bot serves.
func startBotsHost(ctx context.Context, plugins, parley string, shape botsShape, n int) (_ *botsHost, ready time.Duration, err error) {
	w := &world{logs: &lockedBuffer{}}
	h := &botsHost{w: w}
	defer func() {
		if err != nil {
			w.stop()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "parley-bench-bots-"); err != nil {
		return nil, 0, err
	}
	if w.tg, err = testworld.StartTelegram(); err != nil {
		return nil, 0, err
	}
	if w.desk, err = testworld.StartDesk(deskSecret); err != nil {
		return nil, 0, err
	}
	proc, err := startDeskProcess()
	if err != nil {
		return nil, 0, err
	}
	w.receiver = proc
	addrs, err := testworld.FreeAddrs(2)
	if err != nil {
		return nil, 0, err
	}
	w.public = "http://" + addrs[0]
	h.admin = "http://" + addrs[1]

	var cfg strings.Builder
	fmt.Fprintf(&cfg, hostConfigTail, addrs[0], w.public, addrs[1], filepath.Join(w.dir, "parley.db"), plugins,
		channelName, channelName, w.receiver.URL())
	for i := range n {
		b := w.tg.AddBot(telegramtest.BotOptions{Bot: telego.User{ID: int64(8100000000 + i)}})
		h.bots = append(h.bots, b)
		fmt.Fprintf(&cfg, "\n[bots.b%04d]\ntoken = %q\napi_url = %q\nmode = %q\npoll_timeout = \"25s\"\nwelcome_message = \"\"\n",
			i, telegramtest.TokenFor(int64(8100000000+i)), w.tg.URL(), shape.mode)
	}
	started := time.Now()
	if err := w.startBinary(parley, cfg.String(), map[string]string{"BENCH_DESK_SECRET": deskSecret}); err != nil {
		return nil, 0, err
	}
	if err := w.waitHealthy(ctx); err != nil {
		return nil, 0, err
	}
	// Every bot serves once Telegram knows its webhook, or once it polls.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		serving := 0
		for _, b := range h.bots {
			if shape.mode == "webhook" && b.WebhookURL() != "" || shape.mode == "polling" && b.Calls("getUpdates") > 0 {
				serving++
			}
		}
		if serving == n {
			break
		}
		if time.Now().After(deadline) {
			return nil, 0, fmt.Errorf("only %d of %d bots serving after 2m; log:\n%s", serving, n, w.logs.tail(4000))
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return h, time.Since(started), nil
}

// idle is the host's footprint at rest: resident set, CPU use over
// botsIdleWindow in ms per s, and goroutines.
func (h *botsHost) idle(ctx context.Context) (rss int64, cpu float64, goroutines int, err error) {
	// Let start-up work (migrations, getMe, setWebhook, first polls, the
	// first store sweeps) finish before measuring.
	select {
	case <-ctx.Done():
		return 0, 0, 0, ctx.Err()
	case <-time.After(3 * time.Second):
	}
	proc, err := procfs.NewProc(h.w.hostPID)
	if err != nil {
		return 0, 0, 0, err
	}
	before, err := proc.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, 0, 0, ctx.Err()
	case <-time.After(botsIdleWindow):
	}
	after, err := proc.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	cpu = (after.CPUTime() - before.CPUTime()) * 1000 / time.Since(start).Seconds()
	st, err := proc.NewStatus()
	if err != nil {
		return 0, 0, 0, err
	}
	goroutines, err = h.goroutines(ctx)
	return int64(st.VmRSS), cpu, goroutines, err
}

// goroutines reads go_goroutines from the host's /metrics.
func (h *botsHost) goroutines(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.admin+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int(f), err
		}
	}
	return 0, fmt.Errorf("no go_goroutines in /metrics (status %s)", resp.Status)
}

// load pushes messages from as many users, spread round-robin over every
// bot, at once, and times each to the desk.
func (h *botsHost) load(ctx context.Context, messages int) (thr float64, p50, p99 time.Duration, dups int, err error) {
	users := make([]int64, messages)
	for i := range users {
		// A user's private chat is with the bot they started.
		users[i] = h.bots[i%len(h.bots)].AddUser(telego.User{ID: int64(900000 + i), FirstName: "Bench", LastName: strconv.Itoa(i)}).ID
	}
	rec := newRecorder(messages, 0)
	h.w.receiver.OnDeliver(rec.delivered)
	pushed := make([]time.Time, messages)
	for i := range messages {
		pushed[i] = time.Now()
		h.bots[i%len(h.bots)].SendText(users[i], "m"+strconv.Itoa(i))
	}
	if err := rec.wait(ctx, burstTimeout(messages)); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("%w; log:\n%s", err, h.w.logs.tail(4000))
	}
	received, dups := rec.result()
	thr, p50, p99 = burstStats(pushed, received)
	return thr, p50, p99, dups, nil
}

// runBots measures one many-bots row: the reference host with one bot,
// then the host with shape.bots, idle and under load.
func runBots(ctx context.Context, plugins, parley string, shape botsShape, messages int) (res botsResult, err error) {
	res = botsResult{Mode: shape.mode, Bots: shape.bots, Messages: messages}

	ref, _, err := startBotsHost(ctx, plugins, parley, shape, 1)
	if err != nil {
		return res, fmt.Errorf("reference host: %w", err)
	}
	res.RefRSS, res.RefIdleCPU, res.RefGoroutines, err = ref.idle(ctx)
	if stopErr := ref.w.stop(); err == nil && stopErr != nil {
		err = stopErr
	}
	if err != nil {
		return res, fmt.Errorf("reference host: %w", err)
	}

	h, ready, err := startBotsHost(ctx, plugins, parley, shape, shape.bots)
	if err != nil {
		return res, err
	}
	defer func() {
		if stopErr := h.w.stop(); stopErr != nil && err == nil {
			err = fmt.Errorf("host: %w; log:\n%s", stopErr, h.w.logs.tail(4000))
		}
	}()
	res.Ready = ready
	if res.RSS, res.IdleCPU, res.Goroutines, err = h.idle(ctx); err != nil {
		return res, err
	}
	res.PerBot = float64(res.RSS-res.RefRSS) / float64(shape.bots-1)
	if res.Throughput, res.P50, res.P99, res.Duplicates, err = h.load(ctx, messages); err != nil {
		return res, err
	}
	if rss, err := procstat.PeakRSS(h.w.hostPID); err == nil {
		res.PeakRSS = int64(rss)
	}
	return res, nil
}
