package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/storetest"
)

func TestLifetime(t *testing.T) {
	storetest.RunLifetime(t, func(t *testing.T) store.Store {
		return openTemp(t, filepath.Join(t.TempDir(), "parley.db"))
	}, crashOnErasureNotice)
}

// crashOnErasureNotice makes the insert of an erasure notice fail: the
// erasure's last step, after its deletes, in the same transaction.
func crashOnErasureNotice(t *testing.T, st store.Store) func() {
	s := st.(*Store)
	exec := func(q string) {
		t.Helper()
		if _, err := s.write.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TRIGGER crash BEFORE INSERT ON messages WHEN NEW.id LIKE 'nf\_%' ESCAPE '\'
		BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`)
	return func() { exec(`DROP TRIGGER crash`) }
}
