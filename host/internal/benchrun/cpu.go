package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parley-dev/parley/host/internal/procstat"
	"github.com/prometheus/procfs"
)

// cpuUse is where CPU time went during one burst, in CPU-seconds, grouped
// by the parts of a multi-replica installation; divided by Wall it is
// cores in use.
type cpuUse struct {
	// Wall is the burst's length in seconds (first push to last receipt).
	Wall float64
	// Replicas and Plugins are the parley hosts and their channel plugins.
	Replicas, Plugins float64
	// Postgres is the server: the backends of the scenario's database and
	// the server's own processes (postmaster, WAL writer, checkpointer …).
	Postgres float64
	// Bench is this process: fake Telegram and the desk.
	Bench float64
	// Busy is the whole machine's non-idle time; Busy minus the groups
	// above is everything else running on the machine.
	Busy float64
	// Steal is time the hypervisor gave to other guests.
	Steal float64
	// Iowait is idle time with disk I/O outstanding: commits waiting for
	// their flush, among others.
	Iowait float64
}

// cores returns s CPU-seconds as cores in use over the burst.
func (u cpuUse) cores(s float64) float64 {
	if u.Wall <= 0 {
		return 0
	}
	return s / u.Wall
}

// ours is the CPU the installation and its fakes used.
func (u cpuUse) ours() float64 { return u.Replicas + u.Plugins + u.Postgres + u.Bench }

// other is the machine's busy time not spent by any group we measured.
func (u cpuUse) other() float64 {
	return max(0, u.Busy-u.ours())
}

// cpuGroup names which part of the installation a process belongs to.
type cpuGroup int

const (
	groupNone cpuGroup = iota
	groupReplica
	groupPlugin
	groupPostgres
	groupBench
)

// cpuSnapshot is the CPU time consumed so far by each process of interest
// and by the whole machine.
type cpuSnapshot struct {
	procs map[int]procCPU
	total procfs.CPUStat
}

type procCPU struct {
	group   cpuGroup
	seconds float64
}

// cpuProbe takes snapshots of the processes of one scenario: the replicas
// (and, through /proc children, their plugins), the PostgreSQL server's
// processes serving database, and this process with its desk child.
//
// /proc is read through prometheus/procfs rather than by hand: it parses
// /proc/<pid>/stat (whose comm field may hold spaces) and /proc/stat and
// converts clock ticks to seconds.
type cpuProbe struct {
	fs       procfs.FS
	replicas []int
	database string
}

func newCPUProbe(replicas []int, database string) (*cpuProbe, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("procfs: %w", err)
	}
	return &cpuProbe{fs: fs, replicas: replicas, database: database}, nil
}

// snapshot reads every process's CPU time. Processes that vanish while
// being read are left out: a PostgreSQL backend that exits mid-burst
// takes its time with it, which under-counts the server slightly.
func (c *cpuProbe) snapshot() (cpuSnapshot, error) {
	st, err := c.fs.Stat()
	if err != nil {
		return cpuSnapshot{}, fmt.Errorf("/proc/stat: %w", err)
	}
	s := cpuSnapshot{procs: map[int]procCPU{}, total: st.CPUTotal}
	add := func(pid int, g cpuGroup) {
		p, err := c.fs.Proc(pid)
		if err != nil {
			return
		}
		ps, err := p.Stat()
		if err != nil {
			return
		}
		s.procs[pid] = procCPU{group: g, seconds: ps.CPUTime()}
	}
	add(os.Getpid(), groupBench)
	if self, err := os.Executable(); err == nil {
		// The desk process is this program too (deskproc.go): a fake.
		for _, child := range procstat.Children(os.Getpid()) {
			if procstat.Executable(child) == self {
				add(child, groupBench)
			}
		}
	}
	for _, pid := range c.replicas {
		add(pid, groupReplica)
		for _, child := range procstat.Children(pid) {
			if strings.HasPrefix(filepath.Base(procstat.Executable(child)), "parley-channel-") {
				add(child, groupPlugin)
			}
		}
	}
	all, err := c.fs.AllProcs()
	if err != nil {
		return cpuSnapshot{}, fmt.Errorf("/proc: %w", err)
	}
	for _, p := range all {
		if comm, err := p.Comm(); err != nil || comm != "postgres" {
			continue
		}
		args, err := p.CmdLine()
		if err != nil {
			continue
		}
		if servesDatabase(strings.Join(args, " "), c.database) {
			add(p.PID, groupPostgres)
		}
	}
	return s, nil
}

// servesDatabase says whether a postgres process, by its command line,
// works for database: a backend connected to it, or one of the server's
// own processes, which every database shares. Backends of other databases
// (other work on the same server) are not counted.
func servesDatabase(cmdline, database string) bool {
	title, isTitle := strings.CutPrefix(cmdline, "postgres: ")
	if !isTitle {
		// The postmaster keeps its exec command line.
		return true
	}
	fields := strings.Fields(title)
	// "15/main: <user> <database> <client> <state>" for a backend;
	// "15/main: walwriter" and the like for the server's own processes.
	if len(fields) > 0 && strings.HasSuffix(fields[0], ":") {
		fields = fields[1:]
	}
	if slices.Contains(fields, database) {
		return true
	}
	client := slices.ContainsFunc(fields, func(f string) bool {
		return strings.HasSuffix(f, ")") && strings.Contains(f, "(") || f == "[local]"
	})
	return !client && !slices.Contains(fields, "worker")
}

// since returns the CPU used between before and s, per group, over wall
// seconds. A process absent from before started in between and counts
// whole.
func (s cpuSnapshot) since(before cpuSnapshot, wall float64) cpuUse {
	u := cpuUse{Wall: wall}
	for pid, now := range s.procs {
		d := now.seconds - before.procs[pid].seconds
		switch now.group {
		case groupReplica:
			u.Replicas += d
		case groupPlugin:
			u.Plugins += d
		case groupPostgres:
			u.Postgres += d
		case groupBench:
			u.Bench += d
		}
	}
	busy := func(c procfs.CPUStat) float64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ }
	u.Busy = busy(s.total) - busy(before.total)
	u.Steal = s.total.Steal - before.total.Steal
	u.Iowait = s.total.Iowait - before.total.Iowait
	return u
}
