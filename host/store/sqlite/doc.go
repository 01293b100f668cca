// Package sqlite is the embedded store driver: Parley's whole state in one
// SQLite file, on the pure-Go modernc.org/sqlite (no cgo).
//
// SQLite serialises writers, so the driver does too: every write runs on a
// single connection in a BEGIN IMMEDIATE transaction, which queues writers
// inside the process instead of letting them collide on SQLITE_BUSY, while a
// small pool of read-only connections serves lookups from the WAL snapshot.
// One process owns the file at a time (an advisory lock on "<db>.lock");
// several replicas need the PostgreSQL driver.
package sqlite
