// Package hsapi is a small typed client for the parts of the Help Scout
// Mailbox API 2.0 that Parley needs: OAuth2 client credentials, mailboxes,
// customers, conversations, threads and attachments.
//
// Help Scout publishes no official Go client (only PHP and others), and the
// community Go clients target the retired v1 API, so this one is written by
// hand against the documented wire format. It does one thing per call and
// leaves retry policy to its caller: a 429 becomes an [*Error] carrying the
// wait Help Scout asked for, and only an expired token is retried here (a
// 401 fetches one new token and replays the request once).
package hsapi
