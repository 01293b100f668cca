// Command soak is `make soak`: a long chaos run of Parley as shipped. Fake
// customers write to the bot (fake Telegram) and agents answer them through
// the webhook desk, at steady bounded rates, through bin/parley with its
// real parley-channel-webhook plugin process, while a driver SIGKILLs the
// host and the plugin at random intervals and, with PostgreSQL (two
// replicas on one database made for the run), terminates the database's
// connections. At the end the traffic stops, everything owed is given time
// to arrive, and a ledger judges both directions: nothing lost, every
// conversation in order (a replay after a hard kill may repeat messages
// already delivered, within the bounds docs/architecture.md gives), with
// duplicates, p99 latency and the peak RSS of host and plugin reported in
// docs/soak.md. Everything listens on 127.0.0.1 and the run stops by itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/parley-dev/parley/host/internal/procstat"
)

// options are the command line.
type options struct {
	duration    time.Duration
	driver      string
	replicas    int
	postgresDSN string
	parleyBin   string
	pluginsDir  string
	out         string
	users       int
	rate        float64
	replyRate   float64
	agents      int
	hostEvery   time.Duration
	pluginEvery time.Duration
	dbEvery     time.Duration
	drain       time.Duration
	seed        uint64
	keep        bool
}

// runLength is dispatch.run_length in the soak's config (the default).
const runLength = 32

const postgresEnv = "PARLEY_TEST_POSTGRES_DSN"

func main() {
	o := defaultOptions()
	fs := flag.NewFlagSet("soak", flag.ExitOnError)
	fs.DurationVar(&o.duration, "duration", o.duration, "how long the traffic and the faults run")
	fs.StringVar(&o.driver, "driver", o.driver, `store driver: "sqlite" or "postgres"`)
	fs.IntVar(&o.replicas, "replicas", 0, "host replicas (default 1 on sqlite, 2 on postgres; sqlite allows 1)")
	fs.StringVar(&o.postgresDSN, "postgres-dsn", o.postgresDSN, "maintenance DSN of the PostgreSQL server; the soak creates and drops a database of its own ("+postgresEnv+")")
	fs.StringVar(&o.parleyBin, "parley", o.parleyBin, "the parley binary")
	fs.StringVar(&o.pluginsDir, "plugins-dir", o.pluginsDir, "directory holding "+pluginBinary)
	fs.StringVar(&o.out, "out", o.out, `markdown file to update ("-" for stdout, "" for none)`)
	fs.IntVar(&o.users, "users", o.users, "customers (conversations)")
	fs.Float64Var(&o.rate, "rate", o.rate, "customer messages per second, in all")
	fs.Float64Var(&o.replyRate, "reply-rate", o.replyRate, "agent replies per second, in all (Telegram allows 30/s per bot)")
	fs.IntVar(&o.agents, "agents", o.agents, "agents replying concurrently")
	fs.DurationVar(&o.hostEvery, "host-kill-every", o.hostEvery, "mean interval between host SIGKILLs (0: none)")
	fs.DurationVar(&o.pluginEvery, "plugin-kill-every", o.pluginEvery, "mean interval between plugin SIGKILLs (0: none)")
	fs.DurationVar(&o.dbEvery, "db-kill-every", o.dbEvery, "mean interval between terminating the database's connections (postgres; 0: none)")
	fs.DurationVar(&o.drain, "drain", o.drain, "how long, after the traffic stops, everything owed may take to arrive")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the fault schedule (0: from the clock)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir (configs, host logs, SQLite file)")
	_ = fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if err := writeReport(o.out, res); err != nil {
		fmt.Fprintln(os.Stderr, "soak: report:", err)
		os.Exit(1)
	}
	if !res.Clean() {
		fmt.Fprintln(os.Stderr, "soak: the ledger is not clean (see the report)")
		os.Exit(1)
	}
}

// defaultOptions are a 10-minute SQLite soak: about 6,000 customer messages
// and 2,400 replies, a host kill every 45 s and a plugin kill every 30 s on
// average.
func defaultOptions() options {
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	return options{
		duration: 10 * time.Minute, driver: "sqlite", postgresDSN: dsn,
		parleyBin: "bin/parley", pluginsDir: "bin/plugins", out: "docs/soak.md",
		users: 50, rate: 10, replyRate: 4, agents: 4,
		hostEvery: 45 * time.Second, pluginEvery: 30 * time.Second, dbEvery: 40 * time.Second,
		drain: 3 * time.Minute,
	}
}

// check validates o and fills in what depends on other options.
func (o *options) check() error {
	switch o.driver {
	case "sqlite":
		if o.replicas == 0 {
			o.replicas = 1
		}
		if o.replicas != 1 {
			return errors.New("-replicas: SQLite runs one host")
		}
		o.dbEvery = 0
	case "postgres":
		if o.replicas == 0 {
			o.replicas = 2
		}
	default:
		return fmt.Errorf("-driver %q: want sqlite or postgres", o.driver)
	}
	switch {
	case o.replicas < 1:
		return errors.New("-replicas must be at least 1")
	case o.duration <= 0:
		return errors.New("-duration must be positive")
	case o.users < 1 || o.agents < 1 || o.agents > o.users:
		return errors.New("-users and -agents must be positive, with no more agents than users")
	case o.rate <= 0 || o.rate > 200:
		return errors.New("-rate must be in (0, 200] messages per second")
	case o.replyRate <= 0 || o.replyRate > 25:
		return errors.New("-reply-rate must be in (0, 25] per second (Telegram's 30/s per bot, with room)")
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	var err error
	if o.parleyBin, err = filepath.Abs(o.parleyBin); err != nil {
		return err
	}
	if o.pluginsDir, err = filepath.Abs(o.pluginsDir); err != nil {
		return err
	}
	for _, f := range []string{o.parleyBin, filepath.Join(o.pluginsDir, pluginBinary)} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s missing (run `make build` first): %w", f, err)
		}
	}
	return nil
}

// result is everything one soak found.
type result struct {
	Options options
	Machine procstat.Machine
	Started time.Time
	Traffic time.Duration // how long the traffic ran
	Drained time.Duration // how long the drain took
	In, Out verdict
	Faults  map[faultKind]int
	Missed  int
	DBConns int // database connections terminated
	HostRSS uint64
	PlugRSS uint64
	Refused []string
	Timeout int // owed messages still missing when the drain gave up
	// FailedStarts and Exits count hosts that exited without being killed:
	// during start, and after it (restarted like Restart=on-failure).
	FailedStarts, Exits int
	LoadPre             string
	LoadPost            string
}

// Clean reports whether the ledger holds in both directions and every reply
// was accepted.
func (r result) Clean() bool { return r.In.Clean() && r.Out.Clean() && len(r.Refused) == 0 }

// run is one soak: start, load with faults, drain, judge.
func run(ctx context.Context, o options, progress io.Writer) (res result, err error) {
	if err := o.check(); err != nil {
		return res, err
	}
	progress = &lockedWriter{w: progress}
	res = result{Options: o, Machine: procstat.DescribeMachine(), Started: time.Now(), LoadPre: procstat.LoadAverage()}
	fmt.Fprintf(progress, "soak: %s on %s, %d replica(s), %d users, %.1f msg/s in, %.1f replies/s out, seed %d\n",
		o.duration, o.driver, o.replicas, o.users, o.rate, o.replyRate, o.seed)
	begin := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(progress, "soak: %6.1fs  %s\n", time.Since(begin).Seconds(), fmt.Sprintf(format, args...))
	}
	w, err := startWorld(ctx, o, logf)
	if err != nil {
		return res, err
	}
	defer w.close()
	if o.keep {
		fmt.Fprintf(progress, "soak: configs and host logs in %s\n", w.dir)
	}

	l := newLedger()
	t := newTraffic(w, l, o.users)
	var rss rssPeaks
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go rss.run(sampleCtx, w.hosts, 500*time.Millisecond)

	// The traffic and the faults run for the duration; a reply in flight
	// then has until the drain deadline to be accepted.
	trafficCtx, stopTraffic := context.WithTimeout(ctx, o.duration)
	defer stopTraffic()
	patience, stopPatience := context.WithTimeout(ctx, o.duration+o.drain)
	defer stopPatience()
	c := newChaos(w, o.seed, progress)
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	goRun := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	goRun(func() { t.customers(trafficCtx, o.rate) })
	goRun(func() { t.agents(trafficCtx, patience, o.agents, o.replyRate) })
	goRun(func() { c.every(trafficCtx, o.hostEvery, hostKill, c.killHost, errs) })
	goRun(func() { c.every(trafficCtx, o.pluginEvery, pluginKill, c.killPlugin, errs) })
	if o.driver == "postgres" {
		goRun(func() { c.every(trafficCtx, o.dbEvery, dbKill, c.killDB, errs) })
	}
	go progressEvery(trafficCtx, progress, 30*time.Second, func() string {
		_, missing := t.settled()
		f, _ := c.faults()
		return fmt.Sprintf("%d owed in flight; %d host, %d plugin, %d database faults so far", missing, f[hostKill], f[pluginKill], f[dbKill])
	})
	wg.Wait()
	res.Traffic = time.Since(res.Started)
	close(errs)
	for e := range errs {
		return res, e
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}

	// Drain: every host is up (a kill waits for its restart); wait for
	// everything owed, generously, before judging.
	drainStart := time.Now()
	fmt.Fprintf(progress, "soak: traffic stopped after %s; draining (up to %s)\n", res.Traffic.Round(time.Second), o.drain)
	deadline := drainStart.Add(o.drain)
	for {
		ok, missing := t.settled()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			res.Timeout = missing
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	res.Drained = time.Since(drainStart)
	rss.sample(w.hosts)
	stopSampling()
	// A graceful stop replays nothing; arrivals after it would be a bug
	// the ledger should see, so the hosts stop before it judges.
	for _, h := range w.hosts {
		h.stop()
	}
	res.HostRSS, res.PlugRSS = rss.peaks()
	res.Faults, _ = c.faults()
	c.mu.Lock()
	res.Missed, res.DBConns = c.missed, c.terminated
	c.mu.Unlock()
	_, kills := c.faults()
	for _, h := range w.hosts {
		starts, exits := h.unasked()
		res.FailedStarts += starts
		res.Exits += exits
	}
	// A host exiting on its own may leave runs unrecorded like a kill.
	kills += res.FailedStarts + res.Exits
	in, out := t.arrivals()
	res.In = judge(inbound, l.origins(inbound), in, "u", "-m", orderRules{RunLength: runLength, Kills: kills})
	// Replies go to Telegram one per call: a kill repeats at most the
	// reply in flight, at once, so a chat never goes backwards.
	res.Out = judge(outbound, l.origins(outbound), out, "a", "-r", orderRules{RunLength: 1, Kills: kills})
	l.mu.Lock()
	res.Refused = append([]string(nil), l.refused...)
	l.mu.Unlock()
	res.LoadPost = procstat.LoadAverage()
	if !res.Clean() {
		for _, h := range w.hosts {
			fmt.Fprintf(progress, "soak: last log lines of %s:\n%s\n", h.name, h.tail(4000))
		}
	}
	return res, nil
}

// progressEvery prints line() every interval until ctx ends, so a long run
// shows it is alive.
func progressEvery(ctx context.Context, w io.Writer, interval time.Duration, line func() string) {
	start := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fmt.Fprintf(w, "soak: %6.1fs  %s\n", time.Since(start).Seconds(), line())
		}
	}
}

// lockedWriter serialises the progress lines of the soak's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
