// Command benchrun is `make bench`: it measures Parley end to end (fake
// Telegram → host → webhook plugin → desk) at 1, 100 and 1,000 concurrent
// conversations, beside an in-process baseline without the plugin boundary,
// measures the rate-limited reply path, and writes the results as markdown.
//
// Every scenario starts from nothing: a fresh fake Telegram, a fresh desk, a
// fresh SQLite file and a fresh host.
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
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parley-dev/parley/host/internal/procstat"
)

// options are the command line.
type options struct {
	out        string
	messages   int
	pluginsDir string
	parleyBin  string
	cpuProfile string
	only       string
	convs      string
	postgres   bool
	repeat     int
	bots       string
}

func main() {
	if os.Getenv(deskChildEnv) != "" {
		if err := runDeskChild(); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun desk:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	fs := flag.NewFlagSet("benchrun", flag.ExitOnError)
	fs.StringVar(&o.out, "out", "docs/bench.md", "markdown file to write (\"-\" for stdout)")
	fs.IntVar(&o.messages, "messages", 3000, "messages pushed per scenario")
	fs.IntVar(&o.repeat, "repeat", 3, "rounds of every arm, alternated; the report keeps each arm's median run")
	fs.StringVar(&o.pluginsDir, "plugins-dir", "bin/plugins", "directory holding parley-channel-webhook")
	fs.StringVar(&o.parleyBin, "parley", "bin/parley", "the parley binary for the as-shipped rows")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (host in-process) to this file")
	fs.StringVar(&o.only, "only", "", "run one arm only: baseline, plugin or binary (for profiling)")
	fs.StringVar(&o.convs, "conversations", "1,100,1000", "comma-separated conversation counts to run")
	fs.StringVar(&o.bots, "bots", "polling:200,webhook:1000", "many-bots rows as mode:count,... (\"\" for none)")
	fs.BoolVar(&o.postgres, "postgres", os.Getenv(postgresEnv) != "", "also measure 1, 2 and 3 replicas on PostgreSQL ("+postgresEnv+"; default on when it is set)")
	_ = fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, progress io.Writer) error {
	plugins, err := filepath.Abs(o.pluginsDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(plugins, "parley-channel-webhook")); err != nil {
		return fmt.Errorf("no webhook plugin in %s (run `make build` first): %w", plugins, err)
	}
	parley, err := filepath.Abs(o.parleyBin)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	rep := report{Machine: procstat.DescribeMachine(), Messages: o.messages, Started: time.Now(), LoadBefore: procstat.LoadAverage()}
	arms := []arm{armBaseline, armPlugin, armBinary}
	if o.only != "" {
		a, ok := armByName(o.only)
		if !ok {
			return fmt.Errorf("-only %q: want baseline, plugin or binary", o.only)
		}
		arms = []arm{a}
	}
	counts, err := parseCounts(o.convs, o.messages)
	if err != nil {
		return err
	}
	rep.Repeat = max(o.repeat, 1)
	for _, conversations := range counts {
		// The arms take turns, round after round, so a burst of other load
		// on this shared machine hits every arm alike; each arm's median run
		// is reported, with the spread of all its runs.
		runs := map[arm][]intakeResult{}
		for round := 0; round < rep.Repeat; round++ {
			for _, a := range arms {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				fmt.Fprintf(progress, "benchrun: %-8s %4d conversations, %d messages, round %d ... ", a, conversations, o.messages, round+1)
				res, err := runIntake(ctx, worldConfig{arm: a, pluginsDir: plugins, parleyBin: parley}, conversations, o.messages)
				if err != nil {
					fmt.Fprintln(progress, "failed")
					return fmt.Errorf("%s, %d conversations: %w", a, conversations, err)
				}
				fmt.Fprintf(progress, "%.0f msg/s, p50 %s, p99 %s\n", res.Throughput, res.P50, res.P99)
				runs[a] = append(runs[a], res)
			}
		}
		for _, a := range arms {
			rep.Intake = append(rep.Intake, medianRun(runs[a]))
		}
	}
	if o.only == "" {
		for _, shape := range replyShapes {
			fmt.Fprintf(progress, "benchrun: replies  %d to %d conversations ... ", shape.replies, shape.conversations)
			res, err := runReplies(ctx, worldConfig{arm: armPlugin, pluginsDir: plugins, parleyBin: parley}, shape)
			if err != nil {
				fmt.Fprintln(progress, "failed")
				return fmt.Errorf("replies: %w", err)
			}
			fmt.Fprintf(progress, "%.1f msg/s sustained, %d 429s\n", res.Sustained, res.Served429)
			rep.Replies = append(rep.Replies, res)
		}
	}
	shapes, err := parseBotShapes(o.bots)
	if err != nil {
		return err
	}
	if o.only != "" {
		shapes = nil
	}
	for _, shape := range shapes {
		fmt.Fprintf(progress, "benchrun: bots     %d in %s mode ... ", shape.bots, shape.mode)
		res, err := runBots(ctx, plugins, parley, shape, o.messages)
		if err != nil {
			fmt.Fprintln(progress, "failed")
			return fmt.Errorf("%d %s bots: %w", shape.bots, shape.mode, err)
		}
		fmt.Fprintf(progress, "%.0f KiB per idle bot, idle CPU %.1f ms/s, %.0f msg/s\n", res.PerBot/1024, res.IdleCPU, res.Throughput)
		rep.Bots = append(rep.Bots, res)
	}
	if rep.Postgres, err = runPostgres(ctx, o, plugins, parley, rep, progress); err != nil {
		return err
	}
	rep.Elapsed = time.Since(rep.Started)
	rep.LoadAfter = procstat.LoadAverage()
	return writeReport(o.out, rep)
}

// parseBotShapes reads -bots: "mode:count" pairs, mode polling or
// webhook, count at least 2 (a row is compared with one bot).
func parseBotShapes(list string) ([]botsShape, error) {
	var out []botsShape
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		mode, count, _ := strings.Cut(f, ":")
		n, err := strconv.Atoi(count)
		if (mode != "polling" && mode != "webhook") || err != nil || n < 2 {
			return nil, fmt.Errorf("-bots: %q is not polling:N or webhook:N with N ≥ 2", f)
		}
		out = append(out, botsShape{mode: mode, bots: n})
	}
	return out, nil
}

// parseCounts reads -conversations; every count must be at most messages so
// each conversation gets a message.
func parseCounts(list string, messages int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-conversations: %q is not a positive number", f)
		}
		if n > messages {
			return nil, errors.New("-messages must be at least the largest -conversations count")
		}
		out = append(out, n)
	}
	return out, nil
}
