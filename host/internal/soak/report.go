package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// reportHeader opens docs/soak.md when it does not exist yet.
const reportHeader = `# Parley soak

Written by ` + "`make soak`" + ` (` + "`go run ./host/internal/soak`" + `, see its package doc). Each run replaces
its own section (one per store driver and replica count), so SQLite and PostgreSQL runs sit side by side;
do not edit between the markers by hand.

What a run does: fake customers write to the bot (the project's fake Telegram) and agents answer them
through the webhook desk (host/internal/webhookdesk), at steady bounded rates, through ` + "`bin/parley`" + ` with
its real ` + "`parley-channel-webhook`" + ` plugin process, while a driver SIGKILLs the host and the plugin at
random intervals and, on PostgreSQL (replicas on one database made for the run), terminates that
database's server connections (` + "`pg_terminate_backend`" + `). Then the traffic stops, everything owed gets
time to arrive, the hosts stop gracefully, and a ledger judges both directions:

- **lost**: a customer message pushed to Telegram, or an agent reply the host accepted (2xx), that never
  arrived. Must be 0.
- **order**: per conversation, messages first arrive in sequence, none skipped. After a hard kill the next
  owner of a lane may deliver again what the dead host had handed its plugin (docs/architecture.md,
  "A backlog crosses the plugin boundary in runs"): the desk sees the conversation step back to a message
  it already has, with the same message id, less than one run (32) back, at most once per fault. Replies
  go to Telegram one per call, so a chat may see the reply in flight repeated but never goes backwards.
  These are host/e2e's crash-test rules (order_test.go). Violations must be 0.
- **duplicates**: repeated arrivals (same message id), counted; allowed only as above.
- **latency**: from the customer's message entering fake Telegram, or the agent's first POST of a reply,
  to its first arrival; it includes the time a killed host is down.
- **peak RSS**: the largest VmHWM sampled every 500 ms from any host or plugin process.

Run it with ` + "`make soak SOAK=10m`" + ` (SQLite) or
` + "`make soak SOAK=10m SOAK_DRIVER=postgres`" + ` (two replicas on a database the run creates on
` + "`$PARLEY_TEST_POSTGRES_DSN`" + `'s server and drops afterwards). ` + "`go test ./host/internal/soak`" + ` runs a
30-second SQLite smoke of it (TestSoakSmoke).
`

// writeReport puts r's section into the markdown file at path, replacing
// the section of an earlier run of the same setup.
func writeReport(path string, r result) error {
	section := r.render()
	switch path {
	case "":
		return nil
	case "-":
		_, err := os.Stdout.WriteString(section)
		return err
	}
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = []byte(reportHeader), nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(replaceSection(string(old), r.key(), section)), 0o644)
}

// key names a run's section: one per store driver and replica count.
func (r result) key() string { return fmt.Sprintf("%s-%d", r.Options.driver, r.Options.replicas) }

// replaceSection swaps the text between key's markers in doc for section,
// or appends it.
func replaceSection(doc, key, section string) string {
	begin, end := "<!-- soak:"+key+" -->\n", "<!-- /soak:"+key+" -->\n"
	block := begin + section + end
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i >= 0 && j > i {
		return doc[:i] + block + doc[j+len(end):]
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + block
}

func (r result) render() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	o := r.Options
	store := "SQLite, 1 host"
	if o.driver == "postgres" {
		store = fmt.Sprintf("PostgreSQL, %d replicas on one database", o.replicas)
	}
	summary := "**clean**: nothing lost, order held both ways"
	if !r.Clean() {
		summary = "**NOT CLEAN**: see below"
	}
	p("## %s, %s", store, o.duration)
	p("")
	p("| | |")
	p("|---|---|")
	p("| verdict | %s |", summary)
	p("| date | %s |", r.Started.UTC().Format("2006-01-02 15:04 MST"))
	p("| traffic, then drain | %s, then %s until everything owed had arrived |", r.Traffic.Round(time.Second), ms(r.Drained))
	p("| load | %d customers at %.1f messages/s in all; %d agents at %.1f replies/s in all |", o.users, o.rate, o.agents, o.replyRate)
	p("| faults | %d host SIGKILLs (mean interval %s), %d plugin SIGKILLs (mean %s)%s |",
		r.Faults[hostKill], o.hostEvery, r.Faults[pluginKill], o.pluginEvery, r.dbFaults())
	p("| hosts exiting on their own | %d during start, %d after it (restarted after 1 s, as deploy/parley.service's Restart=on-failure would) |", r.FailedStarts, r.Exits)
	p("| peak RSS | host %s, plugin %s |", mib(r.HostRSS), mib(r.PlugRSS))
	m := r.Machine
	p("| machine | `nproc` %d, %s; %s %s; %s |", m.Cores, m.CPU, m.Kernel, m.Arch, m.GoVersion)
	p("| load average | %s before, %s after (other engineers' work shares these cores) |", r.LoadPre, r.LoadPost)
	p("| seed | %d |", o.seed)
	p("")
	p("| | %s | %s |", r.In.Direction, r.Out.Direction)
	p("|---|---:|---:|")
	row := func(name string, f func(v verdict) string) { p("| %s | %s | %s |", name, f(r.In), f(r.Out)) }
	row("owed", func(v verdict) string { return fmt.Sprint(v.Sent) })
	row("arrived (distinct)", func(v verdict) string { return fmt.Sprint(v.Delivered) })
	row("**lost**", func(v verdict) string { return fmt.Sprintf("**%d**", len(v.Lost)) })
	row("**order violations**", func(v verdict) string { return fmt.Sprintf("**%d**", len(v.Violations)) })
	row("arrivals in all", func(v verdict) string { return fmt.Sprint(v.Deliveries) })
	row("duplicates (same id)", func(v verdict) string { return fmt.Sprint(v.Duplicates) })
	row("steps back", func(v verdict) string { return fmt.Sprint(v.StepsBack) })
	row("latency p50", func(v verdict) string { return ms(v.P50) })
	row("latency p99", func(v verdict) string { return ms(v.P99) })
	row("latency max", func(v verdict) string { return ms(v.Max) })
	if len(r.Refused) > 0 {
		p("")
		p("Replies the host never accepted: %d (first: %s).", len(r.Refused), r.Refused[0])
	}
	for _, v := range []verdict{r.In, r.Out} {
		if len(v.Lost) > 0 {
			p("")
			p("%s lost (first few): %s", v.Direction, strings.Join(v.Lost[:min(len(v.Lost), 10)], ", "))
		}
		if len(v.Violations) > 0 {
			p("")
			p("%s order violations:", v.Direction)
			for _, s := range v.Violations {
				p("- %s", s)
			}
		}
	}
	p("")
	return b.String()
}

func (r result) dbFaults() string {
	if r.Options.driver != "postgres" {
		return ""
	}
	return fmt.Sprintf(", %d terminations of the database's connections (mean %s; %d connections ended)",
		r.Faults[dbKill], r.Options.dbEvery, r.DBConns)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
