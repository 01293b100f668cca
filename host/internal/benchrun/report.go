package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/internal/procstat"
)

// report is everything one `make bench` measured.
type report struct {
	Machine  procstat.Machine
	Messages int
	// Repeat is how many runs of each arm a row is the median of.
	Repeat  int
	Started time.Time
	Elapsed time.Duration
	// LoadBefore and LoadAfter are /proc/loadavg's first three fields:
	// other work on the machine skews every number here.
	LoadBefore, LoadAfter string
	Intake                []intakeResult
	Replies               []replyResult
	Bots                  []botsResult
	Postgres              pgSection
}

// find returns the intake row of an arm and conversation count.
func (r report) find(a arm, conversations int) (intakeResult, bool) {
	for _, row := range r.Intake {
		if row.Arm == a && row.Conversations == conversations {
			return row, true
		}
	}
	return intakeResult{}, false
}

func writeReport(path string, r report) error {
	var b strings.Builder
	r.render(&b)
	if path == "-" {
		_, err := os.Stdout.WriteString(b.String())
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func (r report) render(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	p("# Parley benchmark")
	p("")
	p("Written by `make bench` (`go run ./host/internal/benchrun`); do not edit by hand.")
	p("")
	p("| | |")
	p("|---|---|")
	p("| date | %s |", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	p("| machine | %s, %s |", r.Machine.Arch, r.Machine.Kernel)
	p("| CPU | %s |", r.Machine.CPU)
	p("| cores | %d |", r.Machine.Cores)
	p("| Go | %s |", r.Machine.GoVersion)
	p("| store | SQLite (WAL, synchronous=NORMAL), a fresh file per scenario |")
	p("| messages per scenario | %d (plus %d one-at-a-time probes) |", r.Messages, idleProbes)
	p("| whole run | %s |", r.Elapsed.Round(time.Second))
	p("| load average (1, 5, 15 min) at start → end | %s → %s |", r.LoadBefore, r.LoadAfter)
	p("")
	p("## User → desk: fake Telegram → host → webhook plugin → desk")
	p("")
	p("Each arm ran %d time(s), the arms taking turns; every row is the arm's median run, with the", r.Repeat)
	p("range of all its runs.")
	p("")
	p("| conversations | arm | msg/s (median) | range | p50 | p99 | idle p50 | host peak RSS | plugin peak RSS | duplicates |")
	p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Intake {
		host, plugin := "—", "—"
		if row.HostRSS > 0 {
			host = mib(row.HostRSS)
		}
		if row.PluginRSS > 0 {
			plugin = mib(row.PluginRSS)
		}
		p("| %d | %s | %.0f | %.0f–%.0f | %s | %s | %s | %s | %s | %d |", row.Conversations, row.Arm, row.Throughput,
			row.MinThroughput, row.MaxThroughput, ms(row.P50), ms(row.P99), ms(row.IdleP50), host, plugin, row.Duplicates)
	}
	p("")
	p("Arms (identical config, store, fakes and host code; they differ only as said):")
	p("")
	p("- **baseline**: `app.Run` inside the benchmark process with the desk channel in-process")
	p("  (`RunOptions.InProcess`): no plugin boundary. The in-process channel is the webhook plugin's own")
	p("  code (`plugins/webhook/webhookchannel.New`), so the two arms run the same Deliver.")
	p("- **plugin**: the same `app.Run` inside the benchmark process, the desk channel being the real")
	p("  `parley-channel-webhook` process over go-plugin gRPC. Baseline vs plugin is the boundary's cost.")
	p("- **binary**: `bin/parley run` as a child process with its plugin, as shipped; its host RSS is the")
	p("  host's alone (in the other arms the host shares its process with the fakes).")
	p("")
	p("In every arm the desk receiving the webhook POSTs is a process of its own, as a real desk is a")
	p("network hop away. (With the desk inside the benchmark's process, the baseline's POSTs went from")
	p("goroutine to goroutine of one Go runtime with no kernel scheduling between them, p50 73 µs")
	p("against 183 µs for the plugin's, and that difference was charged to the plugin boundary.)")
	p("")
	p("msg/s is messages ÷ (last desk receipt − first push); all messages are pushed into fake Telegram")
	p("at once, so p50/p99 include queueing behind the burst. *idle p50* is one message at a time after")
	p("the burst: the pipeline's own delay (long poll → commit → dispatch → deliver).")
	p("")
	p("### Cost of the plugin boundary (same run)")
	p("")
	p("| conversations | baseline msg/s | plugin msg/s | boundary cost | idle p50 baseline → plugin |")
	p("|---:|---:|---:|---:|---:|")
	for _, n := range []int{1, 100, 1000} {
		base, ok1 := r.find(armBaseline, n)
		plug, ok2 := r.find(armPlugin, n)
		if !ok1 || !ok2 {
			continue
		}
		p("| %d | %.0f | %.0f | %+.1f%% | %s → %s |", n, base.Throughput, plug.Throughput,
			(1-plug.Throughput/base.Throughput)*100, ms(base.IdleP50), ms(plug.IdleP50))
	}
	p("")
	p("Boundary cost = 1 − plugin ÷ baseline throughput (target ≤ 25%%).")
	p("")
	if len(r.Replies) > 0 {
		p("## Desk → user: replies through the rate limiter")
		p("")
		p("| replies | conversations | limit (msg/s) | sustained msg/s | overall msg/s | most in any 1 s | 429s from Telegram |")
		p("|---:|---:|---:|---:|---:|---:|---:|")
		for _, row := range r.Replies {
			p("| %d | %d | %.0f | %.1f | %.1f | %d | %d |", row.Shape.replies, row.Shape.conversations, row.Shape.limit(),
				row.Sustained, row.Overall, row.MaxPerSecond, row.Served429)
		}
		p("")
		p("The sender allows %.0f message/s per chat with a burst of %d and %.0f/s for the bot. The limit is", perChatRate, perChatBurst, globalRate)
		p("min(conversations × %.0f/s, %.0f/s); *sustained* is (replies − the burst the limiters let out at once) ÷", perChatRate, globalRate)
		p("(last send − first send); *overall* is (replies − 1) ÷ the same span, bursts included. The fake does")
		p("not enforce Telegram's limits itself, so *most in any 1 s* is the independent check (≤ burst + rate).")
		p("Replies go through the plugin arm (desk → `/hooks/desk` →")
		p("plugin `HandleWebhook` → store → dispatcher → sender → fake Telegram).")
		p("")
	}
	r.renderBounds(p)
	r.renderBots(p)
	r.Postgres.render(p, r.Machine.Cores)
}

// renderBots is the many-bots section.
func (r report) renderBots(p func(string, ...any)) {
	if len(r.Bots) == 0 {
		return
	}
	p("## Many bots in one host")
	p("")
	p("As-shipped `bin/parley run` with one `[bots.<name>]` section per bot, all on one fake Telegram,")
	p("SQLite, the webhook plugin and the desk process as above. Each row is compared with the same host")
	p("serving one bot of the same mode, started just before it (*ref*). Idle figures are read after the")
	p("start-up settled: resident set (VmRSS), the host's CPU over %s of nothing happening, and", botsIdleWindow)
	p("`go_goroutines` from `/metrics`. Then %d messages from as many users, spread round-robin over", r.Bots[0].Messages)
	p("every bot, are pushed at once.")
	p("")
	p("| bots | mode | ready after | idle RSS (ref) | RSS per idle bot | idle CPU (ref) | goroutines (ref) | msg/s | p50 | p99 | host peak RSS | duplicates |")
	p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Bots {
		p("| %d | %s | %s | %s (%s) | %.0f KiB | %.1f ms/s (%.1f) | %d (%d) | %.0f | %s | %s | %s | %d |",
			row.Bots, row.Mode, ms(row.Ready), mib(row.RSS), mib(row.RefRSS), row.PerBot/1024,
			row.IdleCPU, row.RefIdleCPU, row.Goroutines, row.RefGoroutines, row.Throughput,
			ms(row.P50), ms(row.P99), mib(row.PeakRSS), row.Duplicates)
	}
	p("")
	p("*RSS per idle bot* = (idle RSS − ref) ÷ (bots − 1); *idle CPU* is milliseconds of CPU per second")
	p("(1000 = one core busy). Targets: under 100 KiB per idle webhook-mode bot and no measurable idle CPU.")
	for _, row := range r.Bots {
		if row.Mode != "webhook" {
			continue
		}
		verdict := "met"
		if row.PerBot >= 100*1024 {
			verdict = "**not met**"
		}
		p("%d webhook-mode bots: %.0f KiB per idle bot — %s; idle CPU %.1f ms/s against %.1f ms/s with one bot.",
			row.Bots, row.PerBot/1024, verdict, row.IdleCPU, row.RefIdleCPU)
	}
	p("")
	p("%s", botsText)
}

// botsText says what an idle bot costs and why; measure again and update
// it when the intake, the sender or the leases change.
const botsText = `What an idle bot holds: its config, a Telegram client and sender (its own rate limiters;
the HTTP transport is shared by every bot), its intake handler and status, one goroutine waiting
for its end and, in webhook mode, a route on the public listener. A polling bot also holds a long
poll to Telegram (a goroutine and a connection) and renews its poller lease in the store every
2 s, so each idle polling bot costs a store write every 2 s and a getUpdates round trip per poll
timeout (25 s here): that is the polling row's idle CPU; a webhook-mode bot costs nothing until
Telegram calls. Spread over every bot, the load gives each bot a few messages, so each intake
commit carries one or two updates (in webhook mode always one: Telegram sends one update per
request), where the one-bot rows above commit a poll's batch of up to 100 at once: that is why the
many-bots rows are slower per message. ` + "`PARLEY_CPUPROFILE=<file>`" + ` makes ` + "`bin/parley`" + `
write a CPU profile of itself for such a look.
`

// renderBounds is the "what bounds it" section: the targets checked against
// this run, then what profiling showed.
func (r report) renderBounds(p func(string, ...any)) {
	p("## Targets and what bounds them")
	p("")
	best := 0.0
	for _, row := range r.Intake {
		if row.Arm != armBaseline {
			best = max(best, row.Throughput)
		}
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	p("- ≥ 2,000 msg/s end to end with SQLite: best end-to-end row %.0f msg/s — %s.", best, verdict(best >= 2000))
	// Each row on its own: one conversation is a single ordered lane, bound
	// by round-trip latency, and must not hide behind the busy rows.
	var costs []string
	for _, n := range []int{1, 100, 1000} {
		base, ok1 := r.find(armBaseline, n)
		plug, ok2 := r.find(armPlugin, n)
		if ok1 && ok2 {
			cost := 1 - plug.Throughput/base.Throughput
			costs = append(costs, fmt.Sprintf("%d conversation(s) %.1f%% — %s", n, cost*100, verdict(cost <= 0.25)))
		}
	}
	p("- plugin boundary ≤ 25%% of the baseline: %s.", strings.Join(costs, "; "))
	zero := true
	for _, row := range r.Replies {
		zero = zero && row.Served429 == 0
	}
	p("- reply path at the limit with zero 429s: %s (see the reply table).", verdict(zero && len(r.Replies) > 0))
	p("")
	p("%s", boundsText)
}

// boundsText is what `benchrun -only baseline|plugin -conversations 1000
// -repeat 1 -cpuprofile host.prof` with PARLEY_PLUGIN_CPUPROFILE showed (2
// cores, Go 1.26, load average about 1.7); profile again and update it when
// the store, the dispatcher or the protocol changes.
const boundsText = `**The host's single SQLite writer bounds the busy rows; the desk's round trip bounds the
one-conversation row.** Profiles of the baseline and plugin arms at 1,000 conversations:

- *CPU per message*: the benchmark process (host plus fake Telegram) about 0.25 ms, the webhook
  plugin about 0.08 ms; the desk process and the kernel's loopback traffic share the same 2 cores.
- *The writer is serial.* ` + "`(*Store).tx`" + ` is 50–60% of the host's CPU: intake
  (` + "`CommitInbounds`" + `, one transaction per getUpdates batch) about 20%, claims
  (` + "`ClaimDeliveryRuns`" + `) 15%, completions (` + "`CompleteDeliveries`" + `, group commits) 14%.
  Hot statements run prepared, and a claim walks only the head of each lane (a lane-heads table).
- *A backlog crosses the boundary in runs.* A lane's head and up to 32 rows queued behind it
  (` + "`dispatch.run_length`" + `) go to the plugin in one ` + "`DeliverBatch`" + ` call, which the SDK turns into
  in-order ` + "`Deliver`" + ` calls inside the plugin; one claim and one group commit cover the run. Before
  runs, every message paid its own claim, gRPC round trip and commit, and one conversation ran at
  726 msg/s through the plugin against 1,125 in-process (a 35% boundary cost).
- *One conversation stays strictly ordered*: its messages reach the desk one POST after another,
  so that row is bound by the POST round trip (about 0.2–0.4 ms between processes on this machine)
  rather than by the CPU. Through the plugin each run adds one gRPC round trip, and the POSTs
  come from a second process that has to be woken for each answer.
- *The plugin's own work is mostly transport*: system calls are about a quarter of its CPU, the
  webhook code (JSON, HMAC, its HTTP client) about a quarter, gRPC and the scheduler the rest.
- Throughput moves with the machine's other load (see the load average above) by ±15% from run
  to run, which is why every arm runs three times, taking turns, and the ratios compare runs of
  the same round.
`

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
