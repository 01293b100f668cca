package metrics

import (
	"testing"

	"github.com/parley-dev/parley/host/store"
)

func TestRetentionCountsDeletedRows(t *testing.T) {
	m := New()
	r := m.NewRetention()
	r.Purged(store.Purged{Messages: 500, Replies: 20})
	r.Purged(store.Purged{Messages: 3})
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "parley_retention_deleted_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	if len(got) != 2 || got["message"] != 503 || got["reply"] != 20 {
		t.Errorf("parley_retention_deleted_total = %v, want message 503 and reply 20", got)
	}
}
