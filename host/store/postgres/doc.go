// Package postgres is the store driver for several replicas: Parley's
// state in one PostgreSQL database, on pgx (pgxpool).
//
// Any number of hosts may open the same database. Migrations run once,
// under a session advisory lock, however many replicas start together.
// The work queues are shared: a claim takes lane heads with
// SELECT … FOR UPDATE SKIP LOCKED and leases them, so a replica that dies
// mid-delivery hands its lanes over when its leases run out, or sooner
// when a live replica finds it stopped heartbeating (ReclaimDeadLeases),
// and each lane stays strictly ordered across replicas:
//
//   - rows of a conversation are inserted while its conversation row is
//     locked, so within a lane ids commit in increasing order and a
//     claimer never sees a later row without the earlier ones;
//   - a row is a head only when no smaller pending id exists in its lane,
//     and only a head without a live lease is claimed; rows locked by a
//     concurrent claimer are skipped, not waited for, and a locked row is
//     re-checked on its latest version before it is leased.
//
// Leases (claims of deliveries and replies, leadership) are stamped and
// judged by the database server's clock, now(), never a replica's: clocks
// of replicas drift apart, and a replica running slow would otherwise hand
// out leases already over for one running fast, which would deliver the
// same row again (see claimClock).
//
// Delivery lanes keep their head in delivery_heads, maintained by
// statement triggers in the transaction that changes deliveries (migration
// 00003): a lane's row is locked before its head is recomputed, so a new
// row and a finished head of one lane never miss each other. A claim walks
// that table, never a lane's backlog.
//
// The message path is a few statements per batch, not per message:
// intake commits a getUpdates batch with set-based statements, a claim is
// one statement, a group of completions one more. Queries are shaped for a
// planner without statistics (a database autovacuum has not analysed yet):
// see stillPending and claimRuns.
//
// Semantics are those of the SQLite driver, held to the same conformance
// suite (host/store/storetest).
package postgres
