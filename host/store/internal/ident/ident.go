// Package ident makes the random ids store drivers give the rows they
// create, so every driver hands out ids of the same shape.
package ident

import (
	"crypto/rand"
	"encoding/hex"
)

// Conversation returns a new conversation id: "c_" and 16 hex digits (64
// random bits). It is URL-safe so it can appear in desk links and CLI
// arguments, and random so it reveals nothing about how many
// conversations exist (Number is the sequential handle).
func Conversation() string { return "c_" + randomHex(8) }

// Notice returns a new id for a host notice message: "n_" and 16 hex digits.
// Notices have no Telegram id to derive a stable id from.
func Notice() string { return "n_" + randomHex(8) }

// Rating returns a new rating id: 12 hex digits (48 random bits). It is
// short because it rides in a button's callback_data (64 bytes at most),
// where the button's signature, not the id, is what cannot be guessed.
func Rating() string { return randomHex(6) }

// ErasureNotice returns a new id for the notice that a customer's data
// was erased: ErasurePrefix and 16 hex digits. An erasure deletes every
// message of the conversation but these, so a notice still on its way to
// a desk survives a second erasure.
func ErasureNotice() string { return ErasurePrefix + randomHex(8) }

// ErasurePrefix begins the id of every erasure notice; as a LIKE pattern,
// "_" must be escaped.
const ErasurePrefix = "nf_"

func randomHex(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error (it panics if the system
	// source fails, which leaves nothing sensible to do anyway).
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
