// Package postgres is the store driver for several replicas: Parley's
// state in one PostgreSQL database, on pgx (pgxpool).
//
// Any number of hosts may open the same database. Migrations run once,
// under a session advisory lock, however many replicas start together.
// The work queues are shared: a claim takes lane heads with
// SELECT … FOR UPDATE SKIP LOCKED and leases them, so a replica that dies
// mid-delivery hands its lanes over when its leases run out, and each lane
// stays strictly ordered across replicas:
//
//   - rows of a conversation are inserted while its conversation row is
//     locked, so within a lane ids commit in increasing order and a
//     claimer never sees a later row without the earlier ones;
//   - a row is a head only when no smaller pending id exists in its lane,
//     and only a head without a live lease is claimed; rows locked by a
//     concurrent claimer are skipped, not waited for;
//   - after locking its candidates a claim checks them again on a fresh
//     snapshot (READ COMMITTED gives each statement one) and leases only
//     those still at the head of their lane.
//
// Semantics are those of the SQLite driver, held to the same conformance
// suite (host/store/storetest).
package postgres
