package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A 30-second soak on SQLite with at least one host and one plugin SIGKILL
// ends with a clean ledger: nothing lost and order held, both ways. The
// drain after the traffic is generous (3 minutes) so a loaded CI machine
// slows it down without failing it.
func TestSoakSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs bin/parley with its plugin for 30 s")
	}
	bin := t.TempDir()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	for out, pkg := range map[string]string{"parley": "./host/cmd/parley", "plugins/" + pluginBinary: "./plugins/webhook"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, out), pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	o := defaultOptions()
	o.duration = 30 * time.Second
	o.users, o.rate, o.replyRate = 20, 5, 2
	// First faults fall in [6 s, 18 s) and [4 s, 12 s): both happen.
	o.hostEvery, o.pluginEvery = 12*time.Second, 8*time.Second
	o.parleyBin, o.pluginsDir = filepath.Join(bin, "parley"), filepath.Join(bin, "plugins")
	o.out = ""
	progress := &lockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := run(ctx, o, progress)
	if err != nil {
		t.Fatalf("soak: %v\n%s", err, progress.String())
	}
	t.Logf("\n%s", res.render())
	if res.Faults[hostKill] < 1 || res.Faults[pluginKill] < 1 {
		t.Fatalf("faults %v: want at least one host and one plugin kill\n%s", res.Faults, progress.String())
	}
	if res.In.Sent == 0 || res.Out.Sent == 0 {
		t.Fatalf("no traffic: %d customer messages, %d replies owed", res.In.Sent, res.Out.Sent)
	}
	if !res.Clean() {
		t.Fatalf("ledger not clean:\n%s\n%s", res.render(), progress.String())
	}
}

// The ledger tells a clean run from each way a run can go wrong.
func TestJudge(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	arrive := func(texts ...string) []arrival {
		var out []arrival
		for i, s := range texts {
			id, _, _ := strings.Cut(s, "#")
			out = append(out, arrival{Text: id, ID: "id-" + strings.ReplaceAll(s, "#", ""), Conversation: "c" + id[1:2],
				At: t0.Add(time.Duration(i+1) * time.Millisecond)})
		}
		return out
	}
	owed := func(texts ...string) map[string]time.Time {
		m := map[string]time.Time{}
		for _, s := range texts {
			m[s] = t0
		}
		return m
	}
	three := owed("u1-m0", "u1-m1", "u1-m2")
	rules := orderRules{RunLength: 32, Kills: 1}
	for _, tc := range []struct {
		name       string
		owed       map[string]time.Time
		got        []arrival
		rules      orderRules
		lost, viol int
		dups, back int
	}{
		{"in order", three, arrive("u1-m0", "u1-m1", "u1-m2"), rules, 0, 0, 0, 0},
		{"lost", three, arrive("u1-m0", "u1-m1"), rules, 1, 0, 0, 0},
		{"skipped ahead", three, arrive("u1-m0", "u1-m2", "u1-m1"), rules, 0, 2, 0, 1},
		{"first message not first", three, arrive("u1-m1", "u1-m0", "u1-m2"), rules, 0, 2, 0, 1},
		{"replay within a run", three, arrive("u1-m0", "u1-m1", "u1-m0", "u1-m1", "u1-m2"), rules, 0, 0, 2, 1},
		{"replay beyond a run", three, arrive("u1-m0", "u1-m1", "u1-m2", "u1-m0"), orderRules{RunLength: 2, Kills: 1}, 0, 1, 1, 1},
		{"more steps back than kills", three, arrive("u1-m0", "u1-m1", "u1-m0", "u1-m1", "u1-m0", "u1-m1", "u1-m2"), rules, 0, 1, 4, 2},
		{"one per call steps back", three, arrive("u1-m0", "u1-m1", "u1-m0", "u1-m2"), orderRules{RunLength: 1, Kills: 1}, 0, 1, 1, 1},
		{"one per call repeats in flight", three, arrive("u1-m0", "u1-m1", "u1-m1", "u1-m2"), orderRules{RunLength: 1, Kills: 1}, 0, 0, 1, 0},
		{"repeat with another id", three, arrive("u1-m0", "u1-m1", "u1-m1#x", "u1-m2"), rules, 0, 1, 1, 0},
		{"unexpected", three, arrive("u1-m0", "u1-m1", "u1-m2", "u9-m0"), rules, 0, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(inbound, tc.owed, tc.got, "u", "-m", tc.rules)
			if len(v.Lost) != tc.lost || len(v.Violations) != tc.viol || v.Duplicates != tc.dups || v.StepsBack != tc.back {
				t.Fatalf("lost %v, violations %q, duplicates %d, steps back %d; want %d, %d, %d, %d",
					v.Lost, v.Violations, v.Duplicates, v.StepsBack, tc.lost, tc.viol, tc.dups, tc.back)
			}
			if v.Clean() != (tc.lost == 0 && tc.viol == 0) {
				t.Fatalf("Clean() = %v", v.Clean())
			}
		})
	}
	v := judge(inbound, three, arrive("u1-m0", "u1-m1", "u1-m2"), "u", "-m", rules)
	if v.P50 != 2*time.Millisecond || v.Max != 3*time.Millisecond {
		t.Fatalf("latency p50 %s max %s, want 2ms and 3ms", v.P50, v.Max)
	}
}

// A run replaces its own section of docs/soak.md and leaves the others.
func TestReplaceSection(t *testing.T) {
	doc := reportHeader
	doc = replaceSection(doc, "sqlite-1", "first sqlite\n")
	doc = replaceSection(doc, "postgres-2", "postgres\n")
	doc = replaceSection(doc, "sqlite-1", "second sqlite\n")
	if strings.Contains(doc, "first sqlite") || !strings.Contains(doc, "second sqlite") || !strings.Contains(doc, "postgres\n") {
		t.Fatalf("sections not replaced in place:\n%s", doc)
	}
	if strings.Index(doc, "second sqlite") > strings.Index(doc, "<!-- soak:postgres-2") {
		t.Fatal("the replaced section moved")
	}
	if n := strings.Count(doc, "<!-- soak:sqlite-1 -->"); n != 1 {
		t.Fatalf("%d sqlite sections", n)
	}
	path := filepath.Join(t.TempDir(), "soak.md")
	if err := writeReport(path, result{Options: options{driver: "sqlite", replicas: 1, duration: time.Second}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# Parley soak") || !strings.Contains(string(b), "## SQLite, 1 host, 1s") {
		t.Fatalf("report:\n%s", b)
	}
}

// lockedBuffer is the test's copy of the progress lines; run writes them
// through its own lock, and the test reads them only after run returns.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
