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

// beat tells the store once that this replica is alive and what it
// leads, then takes back the work of replicas that stopped beating.
func (h *host) beat(ctx context.Context) error {
	err := h.store.Heartbeat(ctx, store.Replica{
		Owner: h.owner, Hostname: h.hostname, PID: os.Getpid(), Version: version.Version,
		Leads: h.bots.leads(), StartedAt: h.started, SeenAt: time.Now(),
	})
	if err != nil {
		return err
	}
	if reaper, ok := h.store.(replicaReaper); ok {
		h.reclaim(ctx, reaper)
	}
	return nil
}

// firstBeat writes this replica's heartbeat before its dispatcher may
// claim anything: leases are cut short only for replicas the store has
// seen, so a replica killed between its first claim and its first beat
// would otherwise hold its lanes until the leases ran out.
func (h *host) firstBeat(ctx context.Context) {
	h.hostname, _ = os.Hostname()
	h.started = time.Now()
	bctx, cancel := context.WithTimeout(ctx, heartbeatEvery)
	defer cancel()
	if err := h.beat(bctx); err != nil && ctx.Err() == nil {
		h.log.Warn("heartbeat failed", "error", err)
	}
}

// heartbeat beats every heartbeatEvery (the first beat is firstBeat's).
func (h *host) heartbeat(ctx context.Context) error {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := h.beat(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("heartbeat failed", "error", err)
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
