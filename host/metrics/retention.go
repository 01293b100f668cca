package metrics

import (
	"github.com/parley-dev/parley/host/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Retention counts the rows the retention job deleted, by kind. It is
// registered on its own (NewRetention) rather than in New, so it exists
// only in a host that runs the job.
type Retention struct {
	deleted *prometheus.CounterVec
}

// NewRetention creates and registers the retention counter on m's registry.
func (m *Metrics) NewRetention() *Retention {
	r := &Retention{deleted: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_retention_deleted_total", Help: "Finished messages and replies deleted by [retention], by kind.",
	}, []string{"kind"})}
	m.Registry.MustRegister(r.deleted)
	// Both series exist from the start, at 0, for rate() and alerts.
	r.deleted.WithLabelValues("message")
	r.deleted.WithLabelValues("reply")
	return r
}

// Purged counts one batch (lifetime.Retention.Observe).
func (r *Retention) Purged(p store.Purged) {
	r.deleted.WithLabelValues("message").Add(float64(p.Messages))
	r.deleted.WithLabelValues("reply").Add(float64(p.Replies))
}
