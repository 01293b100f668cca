package files

import "strings"

// A file_id is valid only for the bot that received it, so the file
// reference a desk is handed (sdk.Attachment.FileRef, signed into file
// links and passed back by Host.OpenFile) names the bot too: the bare
// file_id for the default bot (as before there were several, so stored
// references keep working), "<bot>:<file_id>" for the others. Bot names
// ([a-z0-9-]) and file_ids (base64url) have no ':'.

// Ref returns the file reference of fileID received by bot.
func Ref(bot, fileID string) string {
	if bot == "" || bot == defaultBot {
		return fileID
	}
	return bot + ":" + fileID
}

// ParseRef splits a file reference into its bot ("default" for a bare
// file_id) and file_id.
func ParseRef(ref string) (bot, fileID string) {
	if b, id, ok := strings.Cut(ref, ":"); ok {
		return b, id
	}
	return defaultBot, ref
}

// defaultBot is store.DefaultBot (not imported: this package knows only
// the Bot API).
const defaultBot = "default"
