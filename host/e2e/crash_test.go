package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/internal/testwait"
)

// pluginPID finds the webhook plugin process started by the running host.
func (e *env) pluginPID() int {
	e.mu.Lock()
	host := 0
	if e.cmd != nil {
		host = e.cmd.Process.Pid
	}
	e.mu.Unlock()
	bin := filepath.Join(binDir, "plugins", "parley-channel-webhook")
	entries, _ := os.ReadDir("/proc")
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil || !strings.HasPrefix(string(cmdline), bin) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// Field 4 of /proc/pid/stat is the parent pid (after "pid (comm) state").
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(host) {
			return pid
		}
	}
	return 0
}

// hostKills and pluginKills are how often the crash tests kill each.
const hostKills, pluginKills = 3, 2

// Messages keep flowing while the host is killed with SIGKILL three times and
// the plugin twice: every message reaches the desk, each conversation's
// messages first arrive in order, and a message delivered twice carries the
// same id both times.
//
// With lane runs (the default dispatch.run_length of 32) a kill can replay
// what the dead host had handed the plugin but not yet recorded: the desk may
// see a conversation step back to a message it already has and go on in
// order from there. The test bounds that: a step back only ever repeats a
// message already delivered, goes back less than one run, and happens at
// most once per kill. A graceful stop replays nothing (its runs finish).
func TestCrashSafetyInbound(t *testing.T) {
	crashInbound(t, defaultRunLength)
}

// With dispatch.run_length = 1 a lane's next message is handed out only
// after the one before it is recorded, so a kill replays at most the
// message in flight: the desk never sees a conversation go backwards.
func TestCrashSafetyInboundOneAtATime(t *testing.T) {
	crashInbound(t, 1)
}

func crashInbound(t *testing.T, runLength int) {
	const users, perUser = 50, 10
	e := newEnvWith(t, envOptions{RunLength: runLength})
	e.start()
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = e.tg.AddUser(telego.User{FirstName: fmt.Sprintf("User%d", i)}).ID
	}

	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for j := 0; j < perUser; j++ {
			for i := 0; i < users; i++ {
				e.tg.SendText(ids[i], fmt.Sprintf("u%d-m%d", i, j))
			}
			time.Sleep(150 * time.Millisecond) // pacing: spread the traffic across the kills below
		}
	}()

	for round := 0; round < hostKills; round++ {
		time.Sleep(400 * time.Millisecond) // pacing: let traffic flow between kills
		if round < pluginKills {
			if pid := e.pluginPID(); pid != 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			} else {
				t.Errorf("round %d: no plugin process found to kill", round)
			}
			time.Sleep(300 * time.Millisecond) // pacing: let the host notice the dead plugin before it dies too
		}
		e.kill()
		e.start()
	}
	<-pushed

	total := users * perUser
	ok := e.desk.WaitFor(120*time.Second, func(r []webhookdesk.Delivery) bool {
		seen := map[string]bool{}
		for _, d := range r {
			seen[d.Message.Text] = true
		}
		return len(seen) >= total
	})
	got := e.desk.Received()
	if !ok {
		t.Fatalf("only %d distinct of %d messages reached the desk\n%s", distinct(got), total, tail(e.Logs(), 40))
	}

	st := checkOrder(t, got, orderRules{Users: users, RunLength: runLength, Kills: hostKills + pluginKills})
	t.Logf("run length %d: %d messages, %d deliveries (%d duplicates, %d steps back) across %d host and %d plugin kills",
		runLength, total, len(got), st.Duplicates, st.StepsBack, hostKills, pluginKills)
}

// Agent replies keep flowing while the host is killed: every reply the host
// accepted (2xx) reaches its user, in order per user.
func TestCrashSafetyReplies(t *testing.T) {
	const users, perUser = 50, 4
	e := newEnv(t, "")
	e.start()
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = e.tg.AddUser(telego.User{FirstName: fmt.Sprintf("User%d", i)}).ID
		e.tg.SendText(ids[i], "hello")
	}
	if !e.desk.WaitCount(users, 30*time.Second) {
		t.Fatalf("conversations not delivered\n%s", tail(e.Logs(), 30))
	}
	conv := map[int64]string{}
	for _, d := range e.desk.Received() {
		conv[d.Contact.TelegramUserID] = d.ConversationID
	}

	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for j := 0; j < perUser; j++ {
			for i := 0; i < users; i++ {
				r := webhookdesk.Reply{ConversationID: conv[ids[i]], ID: fmt.Sprintf("r-%d-%d", i, j), Text: fmt.Sprintf("u%d-m%d", i, j)}
				// Like a real desk: retry until the host answers 2xx.
				for attempt := 0; ; attempt++ {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					status, _, err := e.desk.SendReply(ctx, e.hookURL(), r)
					cancel()
					if err == nil && status == 200 {
						break
					}
					if attempt > 200 {
						t.Errorf("reply %s never accepted (last status %d, %v)", r.ID, status, err)
						break
					}
					time.Sleep(100 * time.Millisecond) // a desk's retry interval while parley is down
				}
			}
		}
	}()
	for round := 0; round < 3; round++ {
		time.Sleep(700 * time.Millisecond) // pacing: let replies flow between kills
		e.kill()
		e.start()
	}
	<-sent

	missing := 0
	if !testwait.Poll(120*time.Second, func() bool {
		missing = 0
		for i, id := range ids {
			texts := map[string]bool{}
			for _, s := range e.tg.SentTo(id) {
				texts[s.Message.Text] = true
			}
			for j := 0; j < perUser; j++ {
				if !texts[fmt.Sprintf("u%d-m%d", i, j)] {
					missing++
				}
			}
		}
		return missing == 0
	}) {
		t.Fatalf("%d of %d replies never reached Telegram\n%s", missing, users*perUser, tail(e.Logs(), 30))
	}
	dups := 0
	for i, id := range ids {
		last := -1
		for _, s := range e.tg.SentTo(id) {
			if s.Message.Text == "Welcome to support!" || !strings.HasPrefix(s.Message.Text, "u") {
				continue
			}
			_, n := parseText(t, s.Message.Text)
			if n < last {
				t.Fatalf("user %d: reply %d arrived after %d", i, n, last)
			}
			if n == last {
				dups++
			}
			last = n
		}
	}
	t.Logf("%d replies across 3 host kills, %d sent twice", users*perUser, dups)
}

func parseText(t *testing.T, text string) (string, int) {
	t.Helper()
	user, m, ok := strings.Cut(text, "-m")
	n, err := strconv.Atoi(m)
	if !ok || err != nil {
		t.Fatalf("unexpected text %q", text)
	}
	return user, n
}

func distinct(r []webhookdesk.Delivery) int {
	seen := map[string]bool{}
	for _, d := range r {
		seen[d.Message.Text] = true
	}
	return len(seen)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
