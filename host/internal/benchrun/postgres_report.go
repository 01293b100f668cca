package main

import (
	"fmt"
	"strings"
)

// saturated is the share of the machine's cores above which the run counts
// as CPU-bound: the rest is scheduling slack, not headroom. Below minBusy
// the cores are not what limits it.
const (
	saturated = 0.9
	minBusy   = 0.6
)

// render writes the PostgreSQL section: the replica rows, the
// one-replica comparison with SQLite, where the CPU went and what bounds
// it, each claim computed from this run's numbers.
func (s pgSection) render(p func(string, ...any), cores int) {
	if s.Skipped == "" && len(s.Rows) == 0 {
		return // -postgres=false
	}
	p("## PostgreSQL: 1, 2 and 3 replicas on one database")
	p("")
	if s.Skipped != "" {
		p("%s", s.Skipped)
		p("")
		return
	}
	first := s.Rows[0]
	p("As-shipped `bin/parley run` processes, `driver = \"postgres\"`, all on one fresh database per row")
	p("(the PostgreSQL server on this machine), each with its own `parley-channel-webhook`; fake Telegram")
	p("runs in the benchmark process and the desk in its own, as in the *binary* rows. %d conversations, %d messages", first.Conversations, first.Messages)
	p("(plus %d probes), the same burst as the SQLite rows. Telegram is polled, so one replica — the", idleProbes)
	p("holder of the poller lease — commits all intake; deliveries are shared through lane claims.")
	p("")
	p("| replicas | msg/s | vs 1 replica | p50 | p99 | idle p50 | host peak RSS per replica | plugin peak RSS per replica | duplicates |")
	p("|---:|---:|---:|---:|---:|---:|---|---|---:|")
	for _, row := range s.Rows {
		p("| %d | %.0f | %.2f× | %s | %s | %s | %s | %s | %d |", row.Replicas, row.Throughput, row.Throughput/first.Throughput,
			ms(row.P50), ms(row.P99), ms(row.IdleP50), mibList(row.ReplicaRSS), mibList(row.PluginRSS), row.Duplicates)
	}
	p("")

	if one, ok := s.row(1); ok && s.SQLite.Throughput > 0 {
		sq := s.SQLite
		p("### SQLite vs PostgreSQL, one replica (same run)")
		p("")
		p("| store | msg/s | p50 | p99 | idle p50 | host peak RSS |")
		p("|---|---:|---:|---:|---:|---:|")
		p("| SQLite | %.0f | %s | %s | %s | %s |", sq.Throughput, ms(sq.P50), ms(sq.P99), ms(sq.IdleP50), mib(sq.HostRSS))
		p("| PostgreSQL | %.0f | %s | %s | %s | %s |", one.Throughput, ms(one.P50), ms(one.P99), ms(one.IdleP50), mibList(one.ReplicaRSS))
		p("")
		p("PostgreSQL ÷ SQLite throughput, one replica: **%.2f**.", one.Throughput/sq.Throughput)
		p("")
	}

	p("### Where the CPU went during the burst")
	p("")
	p("Cores in use (CPU-seconds ÷ burst seconds, from `/proc`), of the machine's %d:", cores)
	p("")
	p("| replicas | parley hosts | plugins | PostgreSQL server | benchmark (fakes) | everything else | machine busy | CPU ms per message: hosts / PostgreSQL |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range s.Rows {
		u := row.CPU
		p("| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f / %.2f |", row.Replicas, u.cores(u.Replicas), u.cores(u.Plugins),
			u.cores(u.Postgres), u.cores(u.Bench), u.cores(u.other()), u.cores(u.Busy),
			perMessage(u.Replicas, row.Messages), perMessage(u.Postgres, row.Messages))
	}
	p("")
	p("*PostgreSQL server* is the backends connected to the row's database plus the server's own processes")
	p("(WAL writer, checkpointer …); *everything else* is the machine's busy time outside the groups: other")
	p("work on this shared machine.")
	p("")
	p("### What bounds it")
	p("")
	for _, line := range s.bounds(cores) {
		p("%s", line)
	}
	p("")
}

// row returns the row with n replicas.
func (s pgSection) row(n int) (pgResult, bool) {
	for _, r := range s.Rows {
		if r.Replicas == n {
			return r, true
		}
	}
	return pgResult{}, false
}

// bounds says what limited the rows, as bullet points derived from the
// measurements: whether the cores were saturated, what one message costs
// in CPU and where, how throughput moved with replicas, and how
// PostgreSQL compares to SQLite.
func (s pgSection) bounds(cores int) []string {
	if len(s.Rows) == 0 || cores < 1 {
		return nil
	}
	first, last := s.Rows[0], s.Rows[len(s.Rows)-1]
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	u, u1 := last.CPU, first.CPU
	scale := last.Throughput / first.Throughput
	busiest, idlest := 0.0, float64(cores)
	for _, r := range s.Rows {
		busiest = max(busiest, r.CPU.cores(r.CPU.Busy))
		idlest = min(idlest, r.CPU.cores(r.CPU.Busy))
	}
	switch share := idlest / float64(cores); {
	case share >= saturated:
		add("- **The machine's %d cores bound every row**: ≥ %.0f%% busy in each (%.2f of %d at %d replicas).",
			cores, saturated*100, u.cores(u.Busy), cores, last.Replicas)
		add("  Every replica adds a host, a plugin and PostgreSQL backends on the same cores, so %d replicas", last.Replicas)
		add("  deliver %.2f× one replica's throughput (Parley, PostgreSQL and the fakes used %.2f cores with", scale, u1.cores(u1.ours()))
		add("  1 replica, %.2f with %d). Replicas on separate machines would not share cores; this machine", u.cores(u.ours()), last.Replicas)
		add("  cannot show that scaling.")
	case share >= minBusy:
		add("- **Mostly the cores**: the machine was %.2f–%.2f of its %d cores busy in every row, and %d replicas",
			idlest, busiest, cores, last.Replicas)
		add("  deliver %.2f× one replica's throughput (Parley, PostgreSQL and the fakes used %.2f cores with 1", scale, u1.cores(u1.ours()))
		add("  replica, %.2f with %d): replicas on the same cores add processes, not capacity. The idle rest", u.cores(u.ours()), last.Replicas)
		add("  is time messages wait on round trips and commits (disk wait at %d replicas: %.2f cores of iowait).",
			last.Replicas, u.cores(u.Iowait))
	default:
		add("- **Not the cores**: the machine was at most %.2f of its %d cores busy in any row, yet %d replicas",
			busiest, cores, last.Replicas)
		add("  deliver %.2f× one replica's throughput: messages wait on round trips and commits (intake through", scale)
		add("  the one polling replica, a claim and a completion per delivery; %.2f cores of iowait at %d replicas).",
			u.cores(u.Iowait), last.Replicas)
	}
	var others []string
	for _, r := range s.Rows {
		if other := r.CPU.cores(r.CPU.other()); other >= 0.1*float64(cores) {
			others = append(others, fmt.Sprintf("%.2f cores at %d replica(s)", other, r.Replicas))
		}
	}
	if len(others) > 0 {
		add("- Other work on this shared machine took %s of its %d (load average in the header):", strings.Join(others, ", "), cores)
		add("  Parley and PostgreSQL got what was left, which lowers those rows.")
	}
	per := perMessage(u1.ours(), first.Messages)
	if per > 0 {
		add("- **One message costs %.1f ms of CPU** with one replica: hosts %.2f, plugins %.2f, PostgreSQL %.2f,",
			per, perMessage(u1.Replicas, first.Messages), perMessage(u1.Plugins, first.Messages), perMessage(u1.Postgres, first.Messages))
		add("  fakes %.2f ms (%.1f ms at %d replicas); PostgreSQL's share is %.0f%%. At that cost all %d cores",
			perMessage(u1.Bench, first.Messages), perMessage(u.ours(), last.Messages), last.Replicas, u1.Postgres/u1.ours()*100, cores)
		add("  of this machine would carry at most ≈ %.0f msg/s, however many replicas share them.", float64(cores)*1000/per)
	}
	if one, ok := s.row(1); ok && s.SQLite.Throughput > 0 {
		ratio := one.Throughput / s.SQLite.Throughput
		add("- One replica on PostgreSQL delivers %.2f× SQLite's throughput. Each store call is a round trip to", ratio)
		add("  the server's processes, whose CPU is in the table, and each commit waits for its WAL flush;")
		add("  SQLite runs inside the host's process.")
		if ratio < 1 {
			add("  On one machine PostgreSQL buys running several replicas, not speed.")
		}
	}
	if steal := u.cores(u.Steal); steal >= 0.05 {
		add("- The hypervisor took %.2f cores from this machine during the %d-replica burst (steal time).", steal, last.Replicas)
	}
	return out
}

// perMessage is CPU-seconds spread over n messages, in milliseconds.
func perMessage(seconds float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return seconds / float64(n) * 1000
}

// mibList is one peak RSS per process, "44, 45, 44 MiB"; a dash for a
// process that could not be read.
func mibList(sizes []int64) string {
	parts := make([]string, len(sizes))
	known := false
	for i, n := range sizes {
		if n <= 0 {
			parts[i] = "—"
			continue
		}
		known = true
		parts[i] = fmt.Sprintf("%.0f", float64(n)/(1<<20))
	}
	if !known {
		return "—"
	}
	return strings.Join(parts, ", ") + " MiB"
}
