package postgres

import (
	"testing"

	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/host/store/storetest"
)

func TestLifetime(t *testing.T) {
	db := newDatabase(t)
	storetest.RunLifetime(t, func(t *testing.T) store.Store {
		return open(t, newSchema(t, db), Options{})
	}, crashOnErasureNotice)
}

// crashOnErasureNotice makes the insert of an erasure notice fail: the
// erasure's last step, after its deletes, in the same transaction.
func crashOnErasureNotice(t *testing.T, st store.Store) func() {
	s := st.(*Store)
	exec := func(q string) {
		t.Helper()
		if _, err := s.pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE FUNCTION crash() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'simulated crash'; END $$`)
	exec(`CREATE TRIGGER crash BEFORE INSERT ON messages FOR EACH ROW
		WHEN (NEW.id LIKE 'nf\_%') EXECUTE FUNCTION crash()`)
	return func() { exec(`DROP TRIGGER crash ON messages`); exec(`DROP FUNCTION crash()`) }
}
