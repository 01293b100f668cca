package scratchdb

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A created database takes connections until it is dropped.
func TestCreateAndDrop(t *testing.T) {
	server := os.Getenv("PARLEY_TEST_POSTGRES_DSN")
	if server == "" {
		t.Skip("PARLEY_TEST_POSTGRES_DSN not set")
	}
	ctx := context.Background()
	d, err := Create(ctx, server, "parley_scratch_test_")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Name, "parley_scratch_test_") || !strings.Contains(d.DSN, "/"+d.Name) {
		t.Fatalf("database %q at %q", d.Name, d.DSN)
	}
	c, err := pgx.Connect(ctx, d.DSN)
	if err != nil {
		d.Drop()
		t.Fatalf("connect to the new database: %v", err)
	}
	var name string
	if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil || name != d.Name {
		t.Errorf("current_database() = %q, %v", name, err)
	}
	d.Drop() // with the connection still open: WITH (FORCE)
	if c2, err := pgx.Connect(ctx, d.DSN); err == nil {
		c2.Close(ctx)
		t.Fatal("the database is still there after Drop")
	}
}

// A server that cannot be reached gives an error without its password.
func TestCreateErrorHidesThePassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u:hunter2@127.0.0.1:1/postgres?sslmode=disable",
		"postgres://u@127.0.0.1:1/postgres?sslmode=disable&password=hunter2",
		"postgres://u@127.0.0.1:1/postgres?password=hunter2&sslmode=bogus",
		"hunter2 not a url",
	} {
		_, err := Create(context.Background(), dsn, "x_")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Create(%q): %v", dsn, err)
		}
	}
}
