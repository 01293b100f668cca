package metrics

import (
	"strconv"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/prometheus/client_golang/prometheus"
)

// Lifecycle measures conversations as tickets: how soon an agent first
// answers, how long until a close, why conversations close, and how
// customers rate them.
type Lifecycle struct {
	firstReply *prometheus.HistogramVec
	toClose    *prometheus.HistogramVec
	closes     *prometheus.CounterVec
	ratings    *prometheus.CounterVec
}

// ticketBuckets span a minute to a month: support work is measured in
// minutes, hours and days, not in the milliseconds of the call latencies.
var ticketBuckets = []float64{60, 300, 900, 1800, 3600, 3 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600, 30 * 24 * 3600}

// closeReasons are the reasons a close may be counted under; anything
// else counts as "other", so no input can create new series.
var closeReasons = []string{sdk.CloseByAgent, sdk.CloseByIdle, sdk.CloseByOperator, sdk.CloseByCustomer}

// NewLifecycle creates and registers the lifecycle metrics on m's
// registry.
func (m *Metrics) NewLifecycle() *Lifecycle {
	l := &Lifecycle{
		firstReply: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_conversation_first_reply_seconds", Help: "From a conversation's start to its first agent reply, by channel.",
			Buckets: ticketBuckets,
		}, []string{"channel"}),
		toClose: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_conversation_close_seconds", Help: "From a conversation's start to its close, by reason.",
			Buckets: ticketBuckets,
		}, []string{"reason"}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_conversations_closed_total", Help: "Conversations closed, by reason (agent, idle, operator, customer).",
		}, []string{"reason"}),
		ratings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_conversation_ratings_total", Help: "Customers' ratings of closed conversations, by score (1 to 5).",
		}, []string{"score"}),
	}
	m.Registry.MustRegister(l.firstReply, l.toClose, l.closes, l.ratings)
	// Every series exists from the start, at 0, for rate() and alerts.
	for _, r := range closeReasons {
		l.closes.WithLabelValues(r)
	}
	for s := 1; s <= 5; s++ {
		l.ratings.WithLabelValues(strconv.Itoa(s))
	}
	return l
}

// FirstReply records a conversation's first agent reply, after took.
func (l *Lifecycle) FirstReply(channel string, took time.Duration) {
	l.firstReply.WithLabelValues(safe(channel)).Observe(took.Seconds())
}

// Closed records a close for reason, after the conversation was open for
// took.
func (l *Lifecycle) Closed(reason string, took time.Duration) {
	r := "other"
	for _, known := range closeReasons {
		if reason == known {
			r = reason
		}
	}
	l.closes.WithLabelValues(r).Inc()
	l.toClose.WithLabelValues(r).Observe(took.Seconds())
}

// Rated records a customer's rating.
func (l *Lifecycle) Rated(score int) {
	if score < 1 || score > 5 {
		return
	}
	l.ratings.WithLabelValues(strconv.Itoa(score)).Inc()
}
