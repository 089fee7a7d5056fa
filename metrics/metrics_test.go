package metrics

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scrape returns the metrics as Prometheus' text format.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("metrics answered %d", rec.Code)
	}
	return rec.Body.String()
}

func TestLoginOutcomeLabels(t *testing.T) {
	m := New()
	m.LoginOutcome("PASS", "")
	m.LoginOutcome("FAIL", "wrongpassword")
	m.LoginOutcome("FAIL", "wrongpassword")
	// A code that is not a message key must not become a label of its
	// own: a wiki could grow the label set without bound.
	m.LoginOutcome("FAIL", "<script>alert(1)</script>")
	m.LoginOutcome("FAIL", strings.Repeat("a", 65))
	out := scrape(t, m)
	for _, want := range []string{
		`mwlogin_login_outcomes_total{messagecode="",status="PASS"} 1`,
		`mwlogin_login_outcomes_total{messagecode="wrongpassword",status="FAIL"} 2`,
		`mwlogin_login_outcomes_total{messagecode="other",status="FAIL"} 2`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `messagecode="<`) || strings.Contains(out, strings.Repeat("a", 65)) {
		t.Error("a code that is not a message key became a label")
	}
}

func TestWikiCall(t *testing.T) {
	m := New()
	m.WikiCall("clientlogin", 30*time.Millisecond, nil)
	m.WikiCall("query:tokens", time.Millisecond, errors.New("down"))
	out := scrape(t, m)
	for _, want := range []string{
		`mwlogin_wiki_call_duration_seconds_count{action="clientlogin",result="ok"} 1`,
		`mwlogin_wiki_call_duration_seconds_count{action="query:tokens",result="error"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestActiveFlows(t *testing.T) {
	now := time.Now()
	m := New()
	m.now = func() time.Time { return now }
	m.FlowActive("a", now.Add(15*time.Minute))
	m.FlowActive("b", now.Add(15*time.Minute))
	m.FlowActive("c", now.Add(time.Minute))
	m.FlowEnded("b")
	if !strings.Contains(scrape(t, m), "mwlogin_active_flows 2\n") {
		t.Fatal("want 2 active flows")
	}
	now = now.Add(2 * time.Minute) // c expired
	if !strings.Contains(scrape(t, m), "mwlogin_active_flows 1\n") {
		t.Fatal("an expired flow is still counted")
	}
}

// Nobody scrapes: flows that were abandoned must still be dropped, or the
// map grows with every login for the life of the process.
func TestActiveFlowsBoundedWithoutScrapes(t *testing.T) {
	now := time.Now()
	m := New()
	m.now = func() time.Time { return now }
	for i := range 10000 {
		m.FlowActive(string(rune('a'+i%26))+time.Duration(i).String(), now.Add(15*time.Minute))
		now = now.Add(time.Second)
	}
	m.mu.Lock()
	n := len(m.flows)
	m.mu.Unlock()
	// 15 minutes of flows at one a second, plus up to a minute not yet swept.
	if n > 16*60+1 {
		t.Fatalf("%d flows kept; the expired ones were never dropped", n)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.LoginOutcome("PASS", "")
	m.WikiCall("clientlogin", time.Millisecond, nil)
	m.FlowActive("a", time.Now())
	m.FlowEnded("a")
}
