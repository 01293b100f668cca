// Package normalize turns one Telegram update into what the host stores: the
// chat, the contact behind it, an optional /start command and the message in
// Parley's own terms ([sdk.Message]).
//
// Everything here is a pure function of its input, so a redelivered update
// always yields the same result, including the same message id. Only private
// chats are support conversations; updates from groups, supergroups and
// channels come back as [Ignored] with a reason to log. A message whose
// content Parley does not know (a dice, a game, a story, anything Telegram
// adds later) becomes [sdk.KindUnsupported] with a readable text: the desk
// always sees that the user sent something.
package normalize
