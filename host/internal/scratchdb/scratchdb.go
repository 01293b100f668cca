// Package scratchdb makes a PostgreSQL database for one run of the
// benchmark (host/internal/benchrun) or the soak (host/internal/soak), and
// drops it afterwards.
package scratchdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Database is an empty database made for one run.
type Database struct {
	// Name is the prefix given to Create and 8 random hex digits.
	Name string
	// DSN is the server's DSN naming this database.
	DSN    string
	server string
}

// Create makes a database named prefix and 8 random hex digits on the
// server that server (a postgres:// URL, usually of its maintenance
// database) connects to. Errors never quote server: it may hold a password.
func Create(ctx context.Context, server, prefix string) (*Database, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme == "" {
		return nil, errors.New("the server's DSN must be a postgres:// URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		// A connect error names the user, the database and the cause; a
		// parse error may quote the DSN, password and all.
		if ce := (*pgconn.ConnectError)(nil); errors.As(err, &ce) {
			return nil, fmt.Errorf("connect to the PostgreSQL server at %s: %w", u.Host, err)
		}
		return nil, fmt.Errorf("connect to the PostgreSQL server at %s failed", u.Host)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	d := &Database{Name: prefix + hex.EncodeToString(b), server: server}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+d.Name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.Name, err)
	}
	u.Path = "/" + d.Name
	d.DSN = u.String()
	return d, nil
}

// Drop removes the database, ending any connection still open to it.
func (d *Database) Drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, d.server); err == nil {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+d.Name+" WITH (FORCE)")
		c.Close(ctx)
	}
}
