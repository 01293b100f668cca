package sdk

import (
	"context"
	"io"
)

// Channel is what a plugin implements: one desk.
//
// Every method may be called concurrently, and must honour ctx.
type Channel interface {
	// Describe says who the plugin is; it must work before Configure.
	Describe(ctx context.Context) (DescribeResponse, error)
	// Configure validates and applies the channel's config table. Problems
	// with the table go in the response, one per key; an error means the
	// plugin itself failed.
	Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error)
	// Deliver posts one message to the desk.
	Deliver(ctx context.Context, req DeliverRequest) (DeliverResponse, error)
	// HandleWebhook verifies and answers a request the desk sent.
	HandleWebhook(ctx context.Context, req WebhookRequest) (WebhookResponse, error)
}

// AttachmentOpener is implemented by channels whose replies carry
// attachments: the host calls it to fetch the bytes when it sends a reply.
type AttachmentOpener interface {
	OpenAttachment(ctx context.Context, ref string) (io.ReadCloser, FileInfo, error)
}

// Host is the host as a plugin sees it.
type Host interface {
	// PostReply stores an agent reply; it returns once the reply is durable.
	PostReply(ctx context.Context, r Reply) (PostReplyResult, error)
	// OpenFile streams a Telegram file named by Attachment.FileRef.
	OpenFile(ctx context.Context, fileRef string) (io.ReadCloser, FileInfo, error)
	// PostAction applies an agent's lifecycle action (claim, close, ...);
	// it returns once the action is durable.
	PostAction(ctx context.Context, a Action) (ActionResult, error)
}
