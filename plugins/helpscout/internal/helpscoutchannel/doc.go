// Package helpscoutchannel is the Help Scout desk as a Parley channel: Telegram
// conversations become Help Scout "chat" conversations with customer
// threads, and agent replies come back through Help Scout webhooks.
//
// The plugin is stateless like every Parley plugin: the lane's thread_ref
// is the Help Scout conversation id (decimal), and everything else the
// plugin needs is read back from Help Scout. Two small in-memory caches
// (Telegram user → customer, conversation → customer) save API calls and
// keep a retried first delivery from creating a second customer; losing
// them on restart costs one read, never a duplicate message.
package helpscoutchannel
