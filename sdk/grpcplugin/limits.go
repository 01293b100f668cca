package grpcplugin

import "google.golang.org/grpc"

// MaxMessageSize is the largest gRPC message the host accepts from a
// plugin, on its calls to the plugin and on the Host service it serves
// back: 4 MiB, gRPC's own default for servers, which go-plugin lifts to
// 2 GiB on its connections. Nothing a plugin legitimately sends comes
// near it (a file chunk is 256 KiB, a webhook answer of MaxWebhookReplies
// replies of a full Telegram message each is under 2 MiB); a bigger
// message fails its call with ResourceExhausted and is never buffered, so
// a broken or hostile plugin cannot make the host allocate what it likes.
const MaxMessageSize = 4 << 20

// MaxWebhookReplies is the most replies one HandleWebhook answer may carry,
// and the most actions.
// A desk's webhook carries one reply, or a handful when it batches; more is
// a broken plugin, and its answer is refused whole (nothing is stored).
const MaxWebhookReplies = 100

// HostDialOptions are the gRPC options of the host's connection to a
// plugin (go-plugin's ClientConfig.GRPCDialOptions): they cap what the
// host receives at MaxMessageSize.
func HostDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize))}
}
