package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

func TestServesDatabase(t *testing.T) {
	const db = "parley_bench_0a1b2c3d"
	tests := []struct {
		name, cmdline string
		want          bool
	}{
		{"postmaster", "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf", true},
		{"wal writer", "postgres: 15/main: walwriter   ", true},
		{"checkpointer", "postgres: 15/main: checkpointer ", true},
		{"autovacuum launcher", "postgres: 15/main: autovacuum launcher ", true},
		{"backend of the database", "postgres: 15/main: postgres " + db + " 127.0.0.1(53412) idle", true},
		{"busy backend of the database", "postgres: 15/main: postgres " + db + " 127.0.0.1(53412) UPDATE", true},
		{"autovacuum of the database", "postgres: 15/main: autovacuum worker " + db, true},
		{"backend of another database", "postgres: 15/main: postgres parley_e2e_ffff 127.0.0.1(40000) idle", false},
		{"unix-socket backend of another database", "postgres: 15/main: postgres postgres [local] idle", false},
		{"autovacuum of another database", "postgres: 15/main: autovacuum worker parley_e2e_ffff", false},
		{"cluster name without version", "postgres: postgres " + db + " 127.0.0.1(1) idle", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := servesDatabase(tt.cmdline, db); got != tt.want {
				t.Errorf("servesDatabase(%q) = %v, want %v", tt.cmdline, got, tt.want)
			}
		})
	}
}

func TestCPUSince(t *testing.T) {
	before := cpuSnapshot{
		procs: map[int]procCPU{
			10: {groupReplica, 1.0},
			11: {groupPlugin, 0.5},
			12: {groupPostgres, 2.0},
			13: {groupPostgres, 4.0}, // exits during the burst
			14: {groupBench, 0.25},
		},
		total: procfs.CPUStat{User: 100, System: 50, Idle: 1000, Steal: 1, Iowait: 2},
	}
	after := cpuSnapshot{
		procs: map[int]procCPU{
			10: {groupReplica, 3.0},
			11: {groupPlugin, 1.0},
			12: {groupPostgres, 3.5},
			15: {groupPostgres, 0.5}, // a backend started during the burst
			16: {groupReplica, 1.0},  // a second replica
			14: {groupBench, 0.75},
		},
		total: procfs.CPUStat{User: 105, System: 53, Idle: 1010, Steal: 1.5, Iowait: 2.25},
	}
	u := after.since(before, 4)
	want := cpuUse{Wall: 4, Replicas: 3, Plugins: 0.5, Postgres: 2, Bench: 0.5, Busy: 8, Steal: 0.5, Iowait: 0.25}
	if u != want {
		t.Fatalf("since = %+v, want %+v", u, want)
	}
	if got := u.cores(u.Busy); got != 2 {
		t.Errorf("machine busy = %v cores, want 2", got)
	}
	if got := u.other(); got != 2 {
		t.Errorf("other work = %v CPU-seconds, want 2", got)
	}
}

// The probe finds the replicas it is given and this process by pid.
func TestCPUProbeSnapshot(t *testing.T) {
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skip("no sleep binary:", err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	probe, err := newCPUProbe([]int{child.Process.Pid}, "parley_bench_none")
	if err != nil {
		t.Fatal(err)
	}
	s, err := probe.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.procs[child.Process.Pid].group; got != groupReplica {
		t.Errorf("child group = %v, want replica", got)
	}
	if got, ok := s.procs[os.Getpid()]; !ok || got.group != groupBench {
		t.Errorf("this process = %+v (found %v), want the bench group", got, ok)
	}
}

// section builds a section whose CPU figures make the arithmetic checkable:
// busy is busy cores of 2, ours CPU-seconds over a 10 s burst of 1,000
// messages.
func section(busy float64, throughputs ...float64) pgSection {
	s := pgSection{SQLite: intakeResult{Throughput: 400}}
	for i, tp := range throughputs {
		s.Rows = append(s.Rows, pgResult{
			Replicas: i + 1, Conversations: 1000, Messages: 1000, Throughput: tp,
			P50: time.Second, P99: 2 * time.Second, IdleP50: 5 * time.Millisecond,
			ReplicaRSS: make([]int64, i+1), PluginRSS: make([]int64, i+1),
			// 3 + 1 + 5 + 1 = 10 CPU-seconds: 10 ms per message.
			CPU: cpuUse{Wall: 10, Replicas: 3, Plugins: 1, Postgres: 5, Bench: 1, Busy: busy * 10},
		})
	}
	return s
}

func TestBounds(t *testing.T) {
	tests := []struct {
		name     string
		s        pgSection
		want     []string
		dontWant []string
	}{
		{
			name: "saturated machine, others busy",
			s:    section(1.95, 200, 240, 260),
			want: []string{
				"cores bound every row", "3 replicas", "1.30× one replica's throughput",
				"Other work on this shared machine took 0.95 cores at 1 replica(s), 0.95 cores at 2 replica(s), 0.95 cores at 3 replica(s) of its 2",
				"One message costs 10.0 ms of CPU", "PostgreSQL 5.00", "share is 50%", "≈ 200 msg/s",
				"0.50× SQLite's throughput", "not speed",
			},
			dontWant: []string{"Not the cores"},
		},
		{
			name:     "mostly busy cores",
			s:        section(1.6, 250, 330, 340),
			want:     []string{"Mostly the cores", "1.60–1.60 of its 2 cores", "1.36× one replica's throughput", "took 0.60 cores at 1 replica(s)"},
			dontWant: []string{"bound every row", "Not the cores"},
		},
		{
			name:     "idle cores",
			s:        section(1.0, 200, 200, 200),
			want:     []string{"Not the cores", "1.00× one replica's throughput"},
			dontWant: []string{"bound every row", "Mostly", "Other work"},
		},
		{
			name:     "faster than SQLite",
			s:        section(1.0, 800),
			want:     []string{"2.00× SQLite's throughput"},
			dontWant: []string{"not speed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.s.bounds(2), "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("bounds lack %q:\n%s", w, got)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(got, w) {
					t.Errorf("bounds say %q:\n%s", w, got)
				}
			}
		})
	}
}

func renderSection(s pgSection) string {
	var b strings.Builder
	s.render(func(format string, args ...any) {
		b.WriteString(strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n")
	}, 2)
	return b.String()
}

func TestRenderPostgres(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		got := renderSection(section(1.95, 200, 240, 260))
		for _, w := range []string{
			"| 2 | 240 | 1.20× | 1.00 s | 2.00 s | 5.0 ms | — | — | 0 |",
			"| PostgreSQL | 200 |",
			"PostgreSQL ÷ SQLite throughput, one replica: **0.50**.",
			"| 3 | 0.30 | 0.10 | 0.50 | 0.10 | 0.95 | 1.95 | 3.00 / 5.00 |",
		} {
			if !strings.Contains(got, w) {
				t.Errorf("section lacks %q:\n%s", w, got)
			}
		}
	})
	t.Run("disabled", func(t *testing.T) {
		if got := renderSection(pgSection{}); got != "" {
			t.Errorf("-postgres=false rendered %q, want nothing", got)
		}
	})
}

func TestRunPostgresWithoutServer(t *testing.T) {
	t.Setenv(postgresEnv, "")
	sec, err := runPostgres(context.Background(), options{postgres: true, convs: "1000", messages: 3000}, "", "", report{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := renderSection(sec)
	if !strings.Contains(got, "## PostgreSQL") || !strings.Contains(got, postgresEnv+" is not set") {
		t.Errorf("without a server the section should say so; got:\n%s", got)
	}

	t.Setenv(postgresEnv, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
	sec, err = runPostgres(context.Background(), options{postgres: false, convs: "1000", messages: 3000}, "", "", report{}, nil)
	if err != nil || len(sec.Rows) != 0 || sec.Skipped != "" {
		t.Errorf("-postgres=false: %+v, %v; want nothing measured", sec, err)
	}
}

func TestMiBList(t *testing.T) {
	tests := []struct {
		sizes []int64
		want  string
	}{
		{nil, "—"},
		{[]int64{0, 0}, "—"},
		{[]int64{44 << 20, 0, 45 << 20}, "44, —, 45 MiB"},
	}
	for _, tt := range tests {
		if got := mibList(tt.sizes); got != tt.want {
			t.Errorf("mibList(%v) = %q, want %q", tt.sizes, got, tt.want)
		}
	}
}
