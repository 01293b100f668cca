package app

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/postgres"
	"github.com/parley-dev/parley/host/version"
)

// pollerLease names the leadership that lets one replica poll Telegram
// for the default bot; the lease of another bot adds ":<bot>" (leaseName).
var pollerLease = store.PollerLease(store.DefaultBot)

// Leadership timing: the poller renews every leadRenew; a dead poller's
// lease runs out after leadTTL, and another replica, trying every
// leadRenew, takes over within leadTTL+leadRenew (8 s).
const (
	leadTTL   = 6 * time.Second
	leadRenew = 2 * time.Second
)

// Heartbeat timing. A replica beats every heartbeatEvery; one silent for
// reclaimAfter is taken for dead, and the next replica to beat cuts its
// leases short so its conversations move on within seconds of a crash
// instead of when the leases run out (45 s for a delivery, 135 s for a
// reply; a killed process restarts under a new owner name and cannot take
// its own work back). The margin is seven missed beats: a beat is one
// small upsert, so its jitter (scheduling, GC, a slow statement, a
// connection the database just dropped, which costs one beat) is well under
// a second, and a live replica must fail to reach the database for 15 s
// straight to be taken for dead. Even then it loses only rows another
// replica claims meanwhile (those are delivered twice, as after a lease
// that ran out); the rest it still finishes. The poller's leadership needs
// none of this: its own lease is shorter (leadTTL).
const (
	heartbeatEvery = 2 * time.Second
	reclaimAfter   = 15 * time.Second
)

// replicaReaper is a store whose replicas hand each other the work of the
// dead (the PostgreSQL driver; SQLite, with one host, frees a dead
// process's leases at start instead).
type replicaReaper interface {
	ReclaimDeadLeases(ctx context.Context, silence time.Duration) (postgres.Reclaimed, error)
	RetireReplica(ctx context.Context, owner string) error
}

var _ replicaReaper = (*postgres.Store)(nil)

// heartbeat tells the store this replica is alive and what it leads, and
// after each beat takes back the work of replicas that stopped beating.
func (h *host) heartbeat(ctx context.Context) error {
	hostname, _ := os.Hostname()
	started := time.Now()
	reaper, _ := h.store.(replicaReaper)
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		leads := h.bots.leads()
		err := h.store.Heartbeat(ctx, store.Replica{
			Owner: h.owner, Hostname: hostname, PID: os.Getpid(), Version: version.Version,
			Leads: leads, StartedAt: started, SeenAt: time.Now(),
		})
		if err != nil && ctx.Err() == nil {
			h.log.Warn("heartbeat failed", "error", err)
		}
		if err == nil && reaper != nil {
			h.reclaim(ctx, reaper)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// reclaim cuts short the leases of replicas silent for reclaimAfter.
func (h *host) reclaim(ctx context.Context, reaper replicaReaper) {
	got, err := reaper.ReclaimDeadLeases(ctx, reclaimAfter)
	switch {
	case err != nil && ctx.Err() == nil:
		h.log.Warn("could not take back the work of stopped replicas", "error", err)
	case len(got.Replicas) > 0:
		h.log.Info("took back the work of replicas that stopped heartbeating", "replicas", strings.Join(got.Replicas, ","),
			"deliveries", got.Deliveries, "replies", got.Replies, "silent_for", reclaimAfter)
		if got.Deliveries+got.Replies > 0 && h.disp != nil {
			h.disp.Notify()
		}
	}
}

// retire hands this replica's remaining leases over on a graceful stop,
// once its workers have returned.
func (h *host) retire() {
	reaper, ok := h.store.(replicaReaper)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := reaper.RetireReplica(ctx, h.owner); err != nil {
		h.log.Warn("could not hand this replica's leases over; other replicas take them when they run out", "error", err)
	}
}
