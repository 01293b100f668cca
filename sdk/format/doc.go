// Package format converts message text between Telegram and the markup
// dialects of support desks.
//
// A plugin gets a Telegram message as plain text plus entities
// ([sdk.Entity], offsets in runes) and renders it for its desk with
// [ToSlackMrkdwn], [ToHTML], [ToMarkdown] or [ToTelegramHTML]. Replies go the
// other way: [HTMLToTelegram] and [SlackMrkdwnToTelegramHTML] turn a desk's
// markup into Telegram's HTML subset (send it with
// sdk.FormatTelegramHTML), and [Split] / [SplitHTML] cut long text into
// parts Telegram accepts.
//
// Every function is pure and safe for concurrent use; none of them returns
// broken markup, whatever the input.
package format
