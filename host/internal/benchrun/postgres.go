package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/percentile"
	"github.com/parley-dev/parley/host/internal/procstat"
	"github.com/parley-dev/parley/host/internal/scratchdb"
	"github.com/parley-dev/parley/host/internal/testworld"
	"github.com/parley-dev/parley/host/telegram/telegramtest"
)

// postgresEnv holds the PostgreSQL server the replica rows run against, as
// in CI: postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const postgresEnv = "PARLEY_TEST_POSTGRES_DSN"

// replicaCounts are the PostgreSQL rows: one database, this many replicas.
var replicaCounts = []int{1, 2, 3}

// pgSection is the PostgreSQL part of the report.
type pgSection struct {
	// Skipped says why nothing was measured; empty when the rows ran.
	Skipped string
	Rows    []pgResult
	// SQLite is the as-shipped one-replica SQLite row at the same
	// conversation count from the same run, for the comparison.
	SQLite intakeResult
}

// pgResult is one row: replicas bin/parley processes sharing one fresh
// database, fed by one fake Telegram and delivering to one desk.
type pgResult struct {
	Replicas      int
	Conversations int
	Messages      int
	// Throughput, P50, P99, IdleP50 and Duplicates are as in intakeResult.
	Throughput float64
	P50, P99   time.Duration
	IdleP50    time.Duration
	Duplicates int
	// ReplicaRSS and PluginRSS are each replica's and its plugin's peak
	// resident set, in bytes, in replica order.
	ReplicaRSS, PluginRSS []int64
	// CPU is where the machine's time went during the burst.
	CPU cpuUse
}

// runPostgres measures the PostgreSQL rows at the largest conversation
// count, and takes the SQLite row to compare with from rep (measuring it
// when this run has none, as with -only baseline). Without a server it
// returns only the line saying so; with -postgres=false, nothing.
func runPostgres(ctx context.Context, o options, plugins, parley string, rep report, progress io.Writer) (pgSection, error) {
	dsn := os.Getenv(postgresEnv)
	if dsn != "" && !o.postgres {
		return pgSection{}, nil
	}
	if dsn == "" {
		return pgSection{Skipped: "PostgreSQL rows not measured: " + postgresEnv + " is not set " +
			"(set it to a server's DSN, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)."}, nil
	}
	counts, err := parseCounts(o.convs, o.messages)
	if err != nil {
		return pgSection{}, err
	}
	conversations := counts[0]
	for _, n := range counts {
		conversations = max(conversations, n)
	}
	var sec pgSection
	sqlite, ok := rep.find(armBinary, conversations)
	if !ok {
		fmt.Fprintf(progress, "benchrun: sqlite   1 replica,  %4d conversations, %d messages ... ", conversations, o.messages)
		if sqlite, err = runIntake(ctx, worldConfig{arm: armBinary, pluginsDir: plugins, parleyBin: parley}, conversations, o.messages); err != nil {
			fmt.Fprintln(progress, "failed")
			return sec, fmt.Errorf("sqlite, one replica: %w", err)
		}
		fmt.Fprintf(progress, "%.0f msg/s, p50 %s, p99 %s\n", sqlite.Throughput, sqlite.P50, sqlite.P99)
	}
	sec.SQLite = sqlite
	for _, n := range replicaCounts {
		if ctx.Err() != nil {
			return sec, ctx.Err()
		}
		fmt.Fprintf(progress, "benchrun: postgres %d replicas, %4d conversations, %d messages ... ", n, conversations, o.messages)
		row, err := runReplicas(ctx, dsn, plugins, parley, n, conversations, o.messages)
		if err != nil {
			fmt.Fprintln(progress, "failed")
			return sec, fmt.Errorf("postgres, %d replicas: %w", n, err)
		}
		fmt.Fprintf(progress, "%.0f msg/s, p50 %s, p99 %s; cores: replicas %.2f, postgres %.2f, machine %.2f\n",
			row.Throughput, row.P50, row.P99, row.CPU.cores(row.CPU.Replicas), row.CPU.cores(row.CPU.Postgres), row.CPU.cores(row.CPU.Busy))
		sec.Rows = append(sec.Rows, row)
	}
	return sec, nil
}

// runReplicas is one PostgreSQL row: a fresh database, n replicas on it,
// the burst of runIntake, then the idle probes.
func runReplicas(ctx context.Context, base, plugins, parley string, n, conversations, messages int) (res pgResult, err error) {
	res = pgResult{Replicas: n, Conversations: conversations, Messages: messages}
	db, err := scratchdb.Create(ctx, base, "parley_bench_")
	if err != nil {
		return res, fmt.Errorf("%s: %w", postgresEnv, err)
	}
	defer db.Drop()
	w, err := startReplicas(ctx, db.DSN, plugins, parley, n)
	if err != nil {
		return res, err
	}
	defer func() {
		if stopErr := w.stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	probe, err := newCPUProbe(w.pids(), db.Name)
	if err != nil {
		return res, err
	}

	users := make([]int64, conversations)
	for i := range users {
		users[i] = w.tg.AddUser(telego.User{ID: int64(700000 + i), FirstName: "Bench", LastName: strconv.Itoa(i)}).ID
	}
	rec := newRecorder(messages, idleProbes)
	w.desk.OnDeliver(rec.delivered)

	before, err := probe.snapshot()
	if err != nil {
		return res, err
	}
	pushed := make([]time.Time, messages)
	for i := range messages {
		pushed[i] = time.Now()
		w.tg.SendText(users[i%conversations], "m"+strconv.Itoa(i))
	}
	if err := rec.wait(ctx, burstTimeout(messages)); err != nil {
		return res, fmt.Errorf("%w; logs:\n%s", err, w.logTail(4000))
	}
	after, err := probe.snapshot()
	if err != nil {
		return res, err
	}
	drained := time.Now()
	received, dups := rec.result()
	res.Duplicates = dups
	res.Throughput, res.P50, res.P99 = burstStats(pushed, received)
	// The CPU window runs to the second snapshot, a moment past the last
	// receipt; the snapshots bracket the burst, so they set the wall time.
	res.CPU = after.since(before, drained.Sub(pushed[0]).Seconds())

	idle := make([]time.Duration, idleProbes)
	for j := range idleProbes {
		start := time.Now()
		w.tg.SendText(users[j%conversations], "p"+strconv.Itoa(j))
		at, err := rec.waitProbe(ctx, j, 30*time.Second)
		if err != nil {
			return res, err
		}
		idle[j] = at.Sub(start)
	}
	res.IdleP50 = percentile.NearestRank(idle, 0.50)

	for _, pid := range w.pids() {
		rss, _ := procstat.PeakRSS(pid)
		res.ReplicaRSS = append(res.ReplicaRSS, int64(rss))
		res.PluginRSS = append(res.PluginRSS, pluginPeakRSS(pid))
	}
	return res, nil
}

// replicaWorld is fake Telegram, one desk and n bin/parley processes on
// one database.
type replicaWorld struct {
	tg       *telegramtest.Server
	desk     *deskProcess
	dir      string
	replicas []*replicaProc
}

// replicaProc is one bin/parley child.
type replicaProc struct {
	cmd    *exec.Cmd
	public string
	logs   *lockedBuffer
	done   chan error
}

// startReplicas starts the fakes and n replicas with the scenario config
// of the SQLite rows, the store being PostgreSQL, and waits until every
// replica serves its public listener.
func startReplicas(ctx context.Context, dsn, plugins, parley string, n int) (_ *replicaWorld, err error) {
	w := &replicaWorld{}
	defer func() {
		if err != nil {
			_ = w.stop()
		}
	}()
	if w.dir, err = os.MkdirTemp("", "parley-bench-pg-"); err != nil {
		return nil, err
	}
	if w.tg, err = testworld.StartTelegram(); err != nil {
		return nil, err
	}
	if w.desk, err = startDeskProcess(); err != nil {
		return nil, err
	}
	// The DSN reaches the replicas through the environment, so a password
	// in it is never written to a config file.
	env := []string{"BENCH_TELEGRAM_TOKEN=" + w.tg.Token(), "BENCH_DESK_SECRET=" + deskSecret, "BENCH_STORE_DSN=" + dsn}
	for i := range n {
		r, err := w.startReplica(parley, plugins, i, env)
		if err != nil {
			return nil, err
		}
		w.replicas = append(w.replicas, r)
	}
	for i, r := range w.replicas {
		if err := r.waitHealthy(ctx); err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
	}
	return w, nil
}

func (w *replicaWorld) startReplica(parley, plugins string, i int, env []string) (*replicaProc, error) {
	addrs, err := testworld.FreeAddrs(2)
	if err != nil {
		return nil, err
	}
	publicAddr, adminAddr := addrs[0], addrs[1]
	r := &replicaProc{public: "http://" + publicAddr, logs: &lockedBuffer{}, done: make(chan error, 1)}
	toml := fmt.Sprintf(configTemplate, w.tg.URL(), publicAddr, r.public, adminAddr,
		"${BENCH_STORE_DSN}", plugins, channelName, channelName, w.desk.URL())
	toml = strings.Replace(toml, "[store]\n", "[store]\ndriver = \"postgres\"\n", 1)
	path := filepath.Join(w.dir, fmt.Sprintf("replica%d.toml", i))
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		return nil, err
	}
	r.cmd = testworld.ParleyCommand(parley, path, env, r.logs)
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", parley, err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	return r, nil
}

// waitHealthy is world.waitHealthy for one replica.
func (r *replicaProc) waitHealthy(ctx context.Context) error {
	hw := &world{public: r.public, done: r.done, logs: r.logs}
	return hw.waitHealthy(ctx)
}

// stop sends SIGTERM and waits, killing the process group after 30s.
func (r *replicaProc) stop() error {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
			return nil
		}
		if err != nil {
			return fmt.Errorf("replica exited: %w; log:\n%s", err, r.logs.tail(4000))
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
		return errors.New("replica did not stop within 30s of SIGTERM")
	}
}

func (w *replicaWorld) pids() []int {
	out := make([]int, len(w.replicas))
	for i, r := range w.replicas {
		out[i] = r.cmd.Process.Pid
	}
	return out
}

// logTail is the end of every replica's log, for errors.
func (w *replicaWorld) logTail(n int) string {
	var b strings.Builder
	for i, r := range w.replicas {
		fmt.Fprintf(&b, "--- replica %d\n%s\n", i, r.logs.tail(n/max(1, len(w.replicas))))
	}
	return b.String()
}

// stop stops every replica, then the fakes, and removes the configs.
func (w *replicaWorld) stop() error {
	var errs []error
	for i, r := range w.replicas {
		if err := r.stop(); err != nil {
			errs = append(errs, fmt.Errorf("replica %d: %w", i, err))
		}
	}
	if w.desk != nil {
		w.desk.Close()
	}
	if w.tg != nil {
		w.tg.Close()
	}
	if w.dir != "" {
		_ = os.RemoveAll(w.dir)
	}
	return errors.Join(errs...)
}
