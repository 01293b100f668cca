// Package hcapi is a small typed client for the few HipChat REST API v2
// calls the channel needs: room notifications, the auth_test probe, room
// webhooks, and downloading files agents share in a room.
//
// No maintained Go client exists (tbruyelle/hipchat-go was archived with
// the service, and it puts tokens in query strings and retries 429s by
// itself, which would hide rate limits from the host's scheduler), so these
// few calls are written by hand. The token always travels in the
// Authorization header, never in a URL, and never appears in an error.
package hcapi
