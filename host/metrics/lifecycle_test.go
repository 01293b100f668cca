package metrics

import (
	"testing"
	"time"
)

// series reads every sample of the named metric family as
// "label=value,..." → count (counters) or sample count (histograms).
func series(t *testing.T, m *Metrics, name string) map[string]float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			key := ""
			for _, l := range s.GetLabel() {
				key += l.GetName() + "=" + l.GetValue()
			}
			if s.GetCounter() != nil {
				out[key] = s.GetCounter().GetValue()
			} else {
				out[key] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestLifecycleMetrics(t *testing.T) {
	m := New()
	l := m.NewLifecycle()
	l.FirstReply("slack", 90*time.Second)
	l.Closed("agent", 2*time.Hour)
	l.Closed("made-up\nreason", time.Hour)
	l.Rated(4)
	l.Rated(9) // not a score: ignored
	for name, want := range map[string]map[string]float64{
		"parley_conversations_closed_total":       {"reason=agent": 1, "reason=customer": 0, "reason=idle": 0, "reason=operator": 0, "reason=other": 1},
		"parley_conversation_ratings_total":       {"score=1": 0, "score=2": 0, "score=3": 0, "score=4": 1, "score=5": 0},
		"parley_conversation_close_seconds":       {"reason=agent": 1, "reason=other": 1},
		"parley_conversation_first_reply_seconds": {"channel=slack": 1},
	} {
		got := series(t, m, name)
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s{%s} = %v, want %v", name, k, got[k], v)
			}
		}
	}
}
