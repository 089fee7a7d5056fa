// Package metrics holds the login app's Prometheus metrics: login
// outcomes, wiki call latency and flows in progress.
package metrics

import (
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry of the app's metrics. Its methods are safe on a
// nil *Metrics, which records nothing.
type Metrics struct {
	reg      *prometheus.Registry
	outcomes *prometheus.CounterVec
	calls    *prometheus.HistogramVec

	mu    sync.Mutex
	flows map[string]time.Time // flow ID -> when it expires
	swept time.Time            // when expired flows were last dropped
	now   func() time.Time
}

// New returns metrics registered in a registry of their own, with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mwlogin_login_outcomes_total",
			Help: "Answers of clientlogin to logins through this app, by status and message code.",
		}, []string{"status", "messagecode"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mwlogin_wiki_call_duration_seconds",
			Help:    "Duration of calls to the wiki's API, by action and result.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"action", "result"}),
		flows: map[string]time.Time{},
		now:   time.Now,
	}
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mwlogin_active_flows",
		Help: "Logins in progress that this instance handled a step of and that have neither ended nor expired.",
	}, func() float64 { return float64(m.activeFlows()) })
	m.reg.MustRegister(m.outcomes, m.calls, active,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var codeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// LoginOutcome counts one clientlogin answer. Message codes that do not
// look like MediaWiki message keys are counted as "other", so that a wiki
// cannot grow the label set without bound.
func (m *Metrics) LoginOutcome(status, messagecode string) {
	if m == nil {
		return
	}
	if messagecode != "" && !codeRE.MatchString(messagecode) {
		messagecode = "other"
	}
	m.outcomes.WithLabelValues(status, messagecode).Inc()
}

// WikiCall records one API call; it fits mwclient.Options.Observe.
func (m *Metrics) WikiCall(action string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.calls.WithLabelValues(action, result).Observe(d.Seconds())
}

// FlowActive notes that flow id is in progress until expires. Flows that
// are abandoned expire without a word, so expired ones are dropped here
// too, at most once a minute: whether or not anyone scrapes the gauge, the
// map holds only the flows of about one flow lifetime.
func (m *Metrics) FlowActive(id string, expires time.Time) {
	if m == nil || id == "" {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flows[id] = expires
	if now.Sub(m.swept) >= time.Minute {
		m.sweep(now)
	}
}

// FlowEnded notes that flow id is over.
func (m *Metrics) FlowEnded(id string) {
	if m == nil || id == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.flows, id)
}

func (m *Metrics) activeFlows() int {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	return len(m.flows)
}

func (m *Metrics) sweep(now time.Time) {
	for id, exp := range m.flows {
		if !now.Before(exp) {
			delete(m.flows, id)
		}
	}
	m.swept = now
}
