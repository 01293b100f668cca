"""pydesk: a Parley channel plugin written in Python.

The "desk" is a file: every message Parley delivers is appended to it as one
JSON object a line, and an agent answers by POSTing a signed JSON body to the
channel's webhook, or by appending a JSON line to an inbox file the plugin
watches (its "own connection": those replies go to the host through the Host
service's PostReply). It implements the four calls every channel needs
(Describe, Configure, Deliver, HandleWebhook); goplugin.py does go-plugin's
part. Run by the wrapper parley-channel-pydesk; see README.md.
"""

import difflib
import hashlib
import hmac
import json
import logging
import os
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "gen"))

import grpc  # noqa: E402

import goplugin  # noqa: E402
import rpc_status_pb2  # noqa: E402
from parley.channel.v1 import channel_pb2 as pb  # noqa: E402
from parley.channel.v1 import channel_pb2_grpc  # noqa: E402

# How often the inbox file is read for new replies.
INBOX_POLL = 0.2

NAME = "pydesk"
VERSION = "0.1.0"
# The Parley protocol's major version (proto/parley/channel/v1), the second
# field of the handshake line and DescribeResponse.protocol_version.
PROTOCOL_VERSION = 1
COOKIE_KEY = "PARLEY_PLUGIN_MAGIC_COOKIE"
COOKIE_VALUE = "telegram-desk-bridge-7f3c2a1e"

SIGNATURE_HEADER = "x-pydesk-signature"
MIN_SECRET = 16

CONFIG_KEYS = [
    pb.ConfigKey(name="path", required=True,
                 description="File every delivered message is appended to, one JSON object a line. "
                             "Its directory must exist."),
    pb.ConfigKey(name="webhook_secret", required=True, secret=True,
                 description="Shared secret of the desk's webhook: a request must carry the header "
                             "X-Pydesk-Signature: sha256=<hex HMAC-SHA256 of the body>. "
                             f"At least {MIN_SECRET} characters."),
    pb.ConfigKey(name="inbox", default="",
                 description="Optional file the plugin watches for replies, one JSON object a line "
                             "with strings thread, id, text and author, posted to the host as they appear."),
]

log = logging.getLogger(NAME)


def abort_not_configured(context):
    """Ends the call the way the Go SDK's ErrNotConfigured does:
    FAILED_PRECONDITION carrying google.rpc.ErrorInfo NOT_CONFIGURED, on
    which the host configures the plugin again."""
    info = rpc_status_pb2.ErrorInfo(reason="NOT_CONFIGURED", domain="parley.channel.v1")
    st = rpc_status_pb2.Status(code=grpc.StatusCode.FAILED_PRECONDITION.value[0],
                               message="channel is not configured")
    st.details.add().Pack(info)
    context.abort_with_status(_RichStatus(grpc.StatusCode.FAILED_PRECONDITION, st.message,
                                          (("grpc-status-details-bin", st.SerializeToString()),)))


class _RichStatus(grpc.Status):
    """A grpc.Status with details in the trailer (grpcio-status's job)."""

    def __init__(self, code, details, trailing_metadata):
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


def check_config(raw):
    """Returns (settings, errors): every problem of the config table at
    once, each naming its key."""
    try:
        cfg = json.loads(raw or b"{}")
    except ValueError as e:
        return None, [pb.ConfigError(key="", message=f"config is not JSON: {e}")]
    if not isinstance(cfg, dict):
        return None, [pb.ConfigError(key="", message="config is not a table")]
    errors = []
    known = [k.name for k in CONFIG_KEYS]
    for key in cfg:
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known keys: {', '.join(known)}"
            errors.append(pb.ConfigError(key=key, message="unknown key" + hint))
    path = cfg.get("path")
    if not isinstance(path, str) or not path:
        errors.append(pb.ConfigError(key="path", message="required: the file to append messages to"))
    else:
        try:
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError as e:
            errors.append(pb.ConfigError(key="path", message=f"cannot append to {path}: {e.strerror}"))
    secret = cfg.get("webhook_secret")
    if not isinstance(secret, str) or not secret:
        errors.append(pb.ConfigError(key="webhook_secret", message="required: the webhook's shared secret"))
    elif len(secret) < MIN_SECRET:
        # Never echo a secret, not even a short one.
        errors.append(pb.ConfigError(key="webhook_secret",
                                     message=f"too short: use at least {MIN_SECRET} characters"))
    inbox = cfg.get("inbox", "")
    if not isinstance(inbox, str):
        errors.append(pb.ConfigError(key="inbox", message="must be a file path (text)"))
    elif inbox and not os.path.isdir(os.path.dirname(os.path.abspath(inbox))):
        errors.append(pb.ConfigError(key="inbox", message=f"the directory of {inbox} does not exist"))
    if errors:
        return None, errors
    return {"path": path, "secret": secret.encode(), "inbox": inbox}, []


def reply_from(fields):
    """A Reply from a decoded JSON object, or None when it lacks a field."""
    if not isinstance(fields, dict):
        return None
    thread, reply_id, text = fields.get("thread"), fields.get("id"), fields.get("text")
    if not all(isinstance(v, str) and v for v in (thread, reply_id, text)):
        return None
    author = fields.get("author") if isinstance(fields.get("author"), str) else ""
    return pb.Reply(thread_ref=thread.encode(), external_id=reply_id, author=author, text=text,
                    format=pb.TEXT_FORMAT_PLAIN)


class InboxWatcher:
    """Posts the replies appended to the inbox file to the host, through the
    Host service the host serves on go-plugin's broker. It reads the file
    from the start each time it is configured: the host stores a reply once
    per external id, so a reply posted twice is answered duplicate=true."""

    def __init__(self, path, host_channel):
        self._path = path
        self._host_channel = host_channel  # a function returning a grpc.Channel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="inbox")
        self._thread.start()

    def stop(self):
        self._stop.set()

    def _run(self):
        stub, offset = None, 0
        while not self._stop.wait(INBOX_POLL):
            try:
                with open(self._path, "rb") as f:
                    f.seek(offset)
                    data = f.read()
            except FileNotFoundError:
                continue
            # Complete lines only (an agent's tool may be halfway through
            # one); pos ends after the last line handled.
            pos = 0
            while (nl := data.find(b"\n", pos)) >= 0:
                raw = data[pos:nl]
                if raw.strip():
                    try:
                        reply = reply_from(json.loads(raw))
                    except ValueError:
                        reply = None
                    if reply is None:
                        log.warning("inbox line skipped: want a JSON object with strings thread, id and text")
                    else:
                        try:
                            stub = stub or channel_pb2_grpc.HostStub(self._host_channel())
                            res = stub.PostReply(pb.PostReplyRequest(reply=reply), timeout=10)
                            log.debug("reply posted", extra={"fields": {"id": reply.external_id,
                                                                        "duplicate": res.duplicate}})
                        except grpc.RpcError as e:
                            if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
                                # Not stored: try this line again on the next poll.
                                log.warning("posting a reply failed; will retry",
                                            extra={"fields": {"error": e.details()}})
                                break
                            # Permanent: the host will never take it.
                            log.warning("the host refused a reply; skipped",
                                        extra={"fields": {"id": reply.external_id, "error": e.details()}})
                        except TimeoutError as e:
                            log.warning("the host's Host service is unreachable; will retry",
                                        extra={"fields": {"error": str(e)}})
                            break
                pos = nl + 1
            offset += pos


def text_of(b):
    """Bytes the host treats as opaque (thread refs) as readable text."""
    return b.decode("utf-8", errors="backslashreplace")


class Desk(channel_pb2_grpc.ChannelServicer):
    """The channel. gRPC calls it from several threads at once: the
    configuration is replaced whole under a lock, and appends to the file
    are serialized so lines never interleave."""

    def __init__(self, broker):
        self._broker = broker
        self._lock = threading.Lock()
        self._settings = None
        self._inbox = None
        self._write = threading.Lock()

    def _configured(self, context):
        with self._lock:
            settings = self._settings
        if settings is None:
            abort_not_configured(context)
        return settings

    def Describe(self, request, context):
        return pb.DescribeResponse(
            name=NAME, version=VERSION, protocol_version=PROTOCOL_VERSION,
            description="Appends messages to a JSON-lines file; replies arrive by webhook (Python example)",
            capabilities=pb.Capabilities(threads=True, webhooks=True, own_connection=True, formatting="plain"),
            config_keys=CONFIG_KEYS,
        )

    def Configure(self, request, context):
        settings, errors = check_config(request.config_json)
        if errors:
            return pb.ConfigureResponse(errors=errors)
        # host_broker_id names the host's Host service (PostReply, OpenFile)
        # on go-plugin's broker; 0 means the host serves none.
        inbox = None
        if settings["inbox"] and request.host_broker_id:
            broker_id = request.host_broker_id
            inbox = InboxWatcher(settings["inbox"], lambda: self._broker.dial(broker_id))
        elif settings["inbox"]:
            log.warning("inbox set, but the host serves no Host service: replies in it are not posted")
        with self._lock:
            self._settings, old = settings, self._inbox
            self._inbox = inbox
        if old is not None:
            old.stop()
        log.info("configured", extra={"fields": {"channel": request.channel_name,
                                                 "webhook": request.hook_base_url + "/reply"}})
        return pb.ConfigureResponse()

    def Deliver(self, request, context):
        settings = self._configured(context)
        # An empty thread ref is a conversation's first delivery here: open
        # a thread. The host stores the ref and sends it back every time.
        ref = request.thread_ref or f"thread-{uuid.uuid4().hex}".encode()
        desk_id = f"m-{uuid.uuid4().hex}"
        m = request.message
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "thread": text_of(ref),
            "desk_message_id": desk_id,
            "conversation": request.conversation.id,
            "number": request.conversation.number,
            "from": " ".join(filter(None, [request.contact.first_name, request.contact.last_name])),
            "message_id": m.id,
            "kind": pb.Kind.Name(m.kind).removeprefix("KIND_").lower() if m.kind in pb.Kind.values() else "unknown",
            "text": m.text,
        }
        if request.edit_of_desk_message_id:
            line["edit_of"] = request.edit_of_desk_message_id
        if m.attachments:
            line["attachments"] = [{"name": a.name, "mime_type": a.mime_type, "size": a.size,
                                    "url": a.url, "too_large": a.too_large} for a in m.attachments]
        if m.HasField("notice"):
            line["notice"] = m.notice.code
        data = json.dumps(line, ensure_ascii=False) + "\n"
        if not context.is_active():
            context.abort(grpc.StatusCode.CANCELLED, "the host gave up on this delivery")
        try:
            with self._write, open(settings["path"], "a", encoding="utf-8") as f:
                f.write(data)
        except OSError as e:
            # UNAVAILABLE: the host keeps the message and retries later.
            context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot append to the desk file: {e.strerror}")
        return pb.DeliverResponse(thread_ref=ref, desk_message_id=desk_id)

    def HandleWebhook(self, request, context):
        settings = self._configured(context)
        if request.method != "POST":
            return answer(405, "use POST")
        signature = header(request, SIGNATURE_HEADER)
        expected = "sha256=" + hmac.new(settings["secret"], request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return answer(401, "bad signature")
        try:
            reply = reply_from(json.loads(request.body))
        except ValueError:
            return answer(400, "body is not JSON")
        if reply is None:
            return answer(400, "want a JSON object with strings thread, id and text")
        # The host stores the reply before it sends this answer to the desk.
        return answer(200, "ok", replies=[reply])

    # The two optional calls, answered UNIMPLEMENTED without the stack trace
    # grpcio logs for the generated base class's NotImplementedError. The
    # host calls DeliverBatch only when Capabilities.deliver_batch is set,
    # and OpenAttachment only for replies that carry attachments.
    def DeliverBatch(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "this channel delivers one message at a time")

    def OpenAttachment(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "this channel serves no reply attachments")


def header(request, name):
    """The first value of a header, matched without regard to case."""
    for key, values in request.headers.items():
        if key.lower() == name and values.values:
            return values.values[0]
    return ""


def answer(status, text, replies=()):
    return pb.HandleWebhookResponse(
        status=status, body=(text + "\n").encode(), replies=list(replies),
        headers={"Content-Type": pb.HeaderValues(values=["text/plain; charset=utf-8"])},
    )


def main():
    goplugin.setup_logging()
    goplugin.serve(lambda server, broker: channel_pb2_grpc.add_ChannelServicer_to_server(Desk(broker), server),
                   COOKIE_KEY, COOKIE_VALUE, PROTOCOL_VERSION)


if __name__ == "__main__":
    main()
