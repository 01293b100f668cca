package metrics

import "github.com/prometheus/client_golang/prometheus"

// Business counts Telegram Business connections made and ended. It is
// registered on its own (NewBusiness), like Retention.
type Business struct {
	events *prometheus.CounterVec
}

// NewBusiness creates and registers the Business counter on m's registry.
func (m *Metrics) NewBusiness() *Business {
	b := &Business{events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "parley_business_connections_total",
		Help: "Telegram Business connection changes: connected (new or enabled again), disconnected (disabled or removed), changed (rights).",
	}, []string{"event"})}
	m.Registry.MustRegister(b.events)
	for _, e := range []string{"connected", "disconnected", "changed"} {
		b.events.WithLabelValues(e)
	}
	return b
}

// BusinessConnection counts one change (inbound.BusinessObserver).
func (b *Business) BusinessConnection(event string) {
	b.events.WithLabelValues(safe(event)).Inc()
}
