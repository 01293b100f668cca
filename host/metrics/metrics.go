// Package metrics holds the host's Prometheus metrics and implements the
// observer interfaces of the packages that produce them, so those packages
// stay free of Prometheus.
package metrics

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one host's set of metrics, registered on its own registry (no
// global state: tests and the demo run several hosts in one process).
type Metrics struct {
	Registry *prometheus.Registry

	updates         *prometheus.CounterVec
	delivered       *prometheus.CounterVec
	deliveryFailed  *prometheus.CounterVec
	deliveryLatency *prometheus.HistogramVec
	repliesSent     *prometheus.CounterVec
	repliesFailed   *prometheus.CounterVec
	replyLatency    *prometheus.HistogramVec
	telegramCalls   *prometheus.CounterVec
	telegramLatency *prometheus.HistogramVec
	pluginRestarts  *prometheus.CounterVec
	pluginCalls     *prometheus.HistogramVec
	hookRequests    *prometheus.CounterVec
	backlog         *prometheus.GaugeVec
	oldestPending   *prometheus.GaugeVec
}

// New creates and registers the metrics.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	m := &Metrics{
		Registry: r,
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_telegram_updates_received_total", Help: "Telegram updates committed, by bot and kind.",
		}, []string{"bot", "kind"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_messages_delivered_total", Help: "Messages delivered to a desk channel.",
		}, []string{"channel"}),
		deliveryFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_message_delivery_failures_total", Help: "Failed delivery attempts; final=true when given up.",
		}, []string{"channel", "final"}),
		deliveryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_delivery_latency_seconds", Help: "From commit of a message to its delivery.", Buckets: latency,
		}, []string{"channel"}),
		repliesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_replies_sent_total", Help: "Agent replies sent to Telegram.",
		}, []string{"channel"}),
		repliesFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_reply_failures_total", Help: "Failed reply attempts; final=true when given up.",
		}, []string{"channel", "final"}),
		replyLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_reply_latency_seconds", Help: "From commit of a reply to its arrival in Telegram.", Buckets: latency,
		}, []string{"channel"}),
		telegramCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_telegram_api_calls_total", Help: "Telegram Bot API calls by bot, method and result (ok, 429, 4xx, 5xx, error).",
		}, []string{"bot", "method", "result"}),
		telegramLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_telegram_api_call_seconds", Help: "Telegram Bot API call duration.", Buckets: latency,
		}, []string{"method"}),
		pluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_plugin_restarts_total", Help: "Plugin processes restarted after a crash.",
		}, []string{"channel"}),
		pluginCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parley_plugin_call_seconds", Help: "Plugin RPC duration by channel, method and result.", Buckets: latency,
		}, []string{"channel", "method", "result"}),
		hookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_hook_requests_total", Help: "Desk webhook requests by channel and HTTP status.",
		}, []string{"channel", "status"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "parley_outbox_backlog", Help: "Rows waiting in the outbox, by channel and state.",
		}, []string{"channel", "state"}),
		oldestPending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "parley_outbox_oldest_pending_seconds", Help: "Age of the oldest pending row, by channel.",
		}, []string{"channel"}),
	}
	r.MustRegister(m.updates, m.delivered, m.deliveryFailed, m.deliveryLatency, m.repliesSent, m.repliesFailed,
		m.replyLatency, m.telegramCalls, m.telegramLatency, m.pluginRestarts, m.pluginCalls, m.hookRequests,
		m.backlog, m.oldestPending)
	return m
}

// BotMetrics are the metrics of one bot: the counters of its updates and
// Bot API calls carry its name as the "bot" label. (The call latency
// histogram does not: a histogram per bot multiplies series by buckets, and
// hosts run up to a thousand bots.)
type BotMetrics struct {
	m   *Metrics
	bot string
}

// ForBot returns the metrics of the bot named name (its config name).
func (m *Metrics) ForBot(name string) BotMetrics { return BotMetrics{m: m, bot: safe(name)} }

// UpdateReceived counts a committed Telegram update of the bot.
func (b BotMetrics) UpdateReceived(kind string) { b.m.updates.WithLabelValues(b.bot, safe(kind)).Inc() }

// Call records one Bot API call of the bot (sender.Observer).
func (b BotMetrics) Call(method, result string, d time.Duration) {
	b.m.telegramCalls.WithLabelValues(b.bot, safe(method), safe(result)).Inc()
	b.m.telegramLatency.WithLabelValues(safe(method)).Observe(d.Seconds())
}

// Delivered records a delivery.
func (m *Metrics) Delivered(channel string, latency time.Duration) {
	m.delivered.WithLabelValues(safe(channel)).Inc()
	m.deliveryLatency.WithLabelValues(safe(channel)).Observe(latency.Seconds())
}

// DeliveryFailed records a failed delivery attempt.
func (m *Metrics) DeliveryFailed(channel string, final bool) {
	m.deliveryFailed.WithLabelValues(safe(channel), strconv.FormatBool(final)).Inc()
}

// ReplySent records a reply that reached Telegram.
func (m *Metrics) ReplySent(channel string, latency time.Duration) {
	m.repliesSent.WithLabelValues(label(channel)).Inc()
	m.replyLatency.WithLabelValues(label(channel)).Observe(latency.Seconds())
}

// ReplyFailed records a failed reply attempt.
func (m *Metrics) ReplyFailed(channel string, final bool) {
	m.repliesFailed.WithLabelValues(label(channel), strconv.FormatBool(final)).Inc()
}

// PluginRestarted counts a plugin restart.
func (m *Metrics) PluginRestarted(channel string) {
	m.pluginRestarts.WithLabelValues(safe(channel)).Inc()
}

// PluginCall records one plugin RPC.
func (m *Metrics) PluginCall(channel, method string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.pluginCalls.WithLabelValues(safe(channel), safe(method), result).Observe(d.Seconds())
}

// HookRequest counts a desk webhook request. The caller bounds channel to
// the configured names plus one for the rest (httpserver.UnknownChannel).
func (m *Metrics) HookRequest(channel string, status int) {
	m.hookRequests.WithLabelValues(safe(channel), strconv.Itoa(status)).Inc()
}

// SetBacklog publishes the outbox backlog of one channel.
func (m *Metrics) SetBacklog(channel string, pending, failed int, oldest time.Duration) {
	m.backlog.WithLabelValues(safe(channel), "pending").Set(float64(pending))
	m.backlog.WithLabelValues(safe(channel), "failed").Set(float64(failed))
	m.oldestPending.WithLabelValues(safe(channel)).Set(oldest.Seconds())
}

func label(channel string) string {
	if channel == "" {
		return "host"
	}
	return safe(channel)
}

// maxLabelBytes bounds a label value; every label here is a name from the
// config or the code, far shorter.
const maxLabelBytes = 128

// safe makes a label value acceptable to Prometheus, which panics on
// invalid UTF-8: invalid bytes become U+FFFD and overlong values are cut.
// Callers keep the set of values bounded; this only keeps a stray value
// from crashing the caller.
func safe(v string) string {
	if len(v) > maxLabelBytes {
		v = v[:maxLabelBytes]
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}
