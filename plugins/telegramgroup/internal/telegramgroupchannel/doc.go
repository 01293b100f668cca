// Package telegramgroupchannel is Parley's Telegram staff group channel: a
// second bot (the staff bot) posts each Telegram conversation into its own
// forum topic of a private staff supergroup, and agents' messages in the
// topic become replies to the customer.
//
// The plugin keeps no state: the thread ref is the group and the topic
// (message_thread_id), a reply's external id is its Telegram message id,
// and the staff bot's updates arrive over its own getUpdates loop (or a
// webhook at /hooks/<channel>), confirmed to Telegram only once the host
// stored what they carried.
package telegramgroupchannel
