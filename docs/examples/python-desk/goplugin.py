"""The plugin side of hashicorp/go-plugin's gRPC protocol, for Python.

go-plugin has no Python library, so this module does by hand what its Go
Serve does for a Go plugin: check the magic cookie, serve gRPC with the
mutual TLS the host asked for (AutoMTLS), register the health, broker
and controller services the host calls, print the handshake line, and stop when
the host says so or dies. docs/plugins-in-other-languages.md explains each
step; the channel itself lives in desk.py.
"""

import base64
import datetime
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from concurrent import futures

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import grpc_broker_pb2_grpc
import grpc_controller_pb2
import grpc_controller_pb2_grpc
import health_pb2
import health_pb2_grpc

# go-plugin's own protocol version, the first field of the handshake line.
CORE_PROTOCOL_VERSION = 1
# The service name go-plugin's health check asks about.
HEALTH_SERVICE = "plugin"
# Larger than any message the host sends (a 2 MB webhook body, say); the
# host itself accepts up to 2 GiB.
MAX_MESSAGE = 64 << 20

log = logging.getLogger("plugin")


class HclogJSON(logging.Formatter):
    """Formats records as hclog JSON lines, which the host parses and shows
    under the channel's name at the record's level."""

    LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error", "CRITICAL": "error"}

    def format(self, record):
        stamp = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        entry = {
            "@level": self.LEVELS.get(record.levelname, "info"),
            "@message": record.getMessage(),
            "@timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "@module": record.name,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging():
    """Logs go to stderr (stdout belongs to the handshake) at the level the
    host asks for in PARLEY_PLUGIN_LOG_LEVEL."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(HclogJSON())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("PARLEY_PLUGIN_LOG_LEVEL", "").lower()
    root.setLevel({"trace": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO,
                   "warn": logging.WARNING, "error": logging.ERROR}.get(level, logging.DEBUG))


def server_certificate():
    """A fresh self-signed certificate for "localhost", as go-plugin makes
    one for each start: the host pins exactly this certificate, which it
    reads from the handshake line. Returns (cert PEM, key PEM, cert DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_agreement=True,
                                     key_cert_sign=True, content_commitment=False, data_encipherment=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM), key_pem,
            cert.public_bytes(serialization.Encoding.DER))


class Health(health_pb2_grpc.HealthServicer):
    """gRPC's standard health service: the host pings "plugin"."""

    def Check(self, request, context):
        if request.service not in ("", HEALTH_SERVICE):
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    """go-plugin's GRPCController: the host calls Shutdown to stop the
    plugin gracefully, and kills it 2 seconds later if it has not exited."""

    def __init__(self, stopping):
        self._stopping = stopping

    def Shutdown(self, request, context):
        log.info("the host asked the plugin to shut down")
        self._stopping.set()
        return grpc_controller_pb2.Empty()


def _until_ended(context):
    """Blocks until the RPC ends: the host hangs up, or server.stop cancels
    it. A handler still blocked at exit would keep the process alive, since
    Python joins the server's worker threads before it exits."""
    ended = threading.Event()
    if context.add_callback(ended.set):
        ended.wait()


class Broker(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    """go-plugin's GRPCBroker: how the host serves services back to the
    plugin. The host opens StartStream right after the handshake and, for
    each service it serves (Parley's Host service, at the broker id it sends
    in ConfigureRequest.host_broker_id), sends a ConnInfo with the address
    it listens on; the plugin dials that address with the same mutual TLS."""

    def __init__(self, stopping, tls):
        self._stopping = stopping
        self._tls = tls  # (host cert PEM, our key PEM, our cert PEM), or None
        self._cond = threading.Condition()
        self._conns = {}

    def StartStream(self, request_iterator, context):
        # The stream lives as long as the plugin and only ever receives. The
        # reading happens on a daemon thread, so a read that never returns
        # cannot hold the process at exit.
        threading.Thread(target=self._receive, args=(request_iterator,), daemon=True, name="broker").start()
        _until_ended(context)
        return
        yield  # a generator: the RPC streams responses

    def _receive(self, request_iterator):
        try:
            for info in request_iterator:
                with self._cond:
                    self._conns[info.service_id] = info
                    self._cond.notify_all()
        except grpc.RpcError:
            pass  # the stream ended with the RPC

    def dial(self, service_id, timeout=5.0):
        """A channel to the host's service with this broker id. Raises
        TimeoutError when the host never announced it."""
        with self._cond:
            if not self._cond.wait_for(lambda: service_id in self._conns or self._stopping.is_set(), timeout):
                raise TimeoutError(f"the host announced no service with broker id {service_id}")
            info = self._conns.get(service_id)
        if info is None:
            raise TimeoutError("the plugin is stopping")
        target = "unix:" + info.address if info.network == "unix" else info.address
        options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)]
        if self._tls is None:
            return grpc.insecure_channel(target, options=options)
        host_cert, key_pem, cert_pem = self._tls
        creds = grpc.ssl_channel_credentials(root_certificates=host_cert, private_key=key_pem,
                                             certificate_chain=cert_pem)
        # Both certificates are made out to "localhost", whatever the address.
        return grpc.secure_channel(target, creds, options=options + [("grpc.ssl_target_name_override", "localhost")])


def _watch_parent(stopping):
    """Stops the plugin when the host that started it is gone: a host killed
    with SIGKILL cannot stop its plugins."""
    parent = os.getppid()
    if parent <= 1:
        return

    def watch():
        while not stopping.wait(1):
            if os.getppid() != parent:
                log.warning("the Parley host that started this plugin is gone; exiting")
                stopping.set()

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()


def serve(register, cookie_key, cookie_value, app_protocol_version, workers=16):
    """Runs a go-plugin gRPC plugin until the host stops it.

    register(server, broker) adds the plugin's own services to the
    grpc.Server; broker.dial(host_broker_id) reaches the host's services.
    cookie_key/cookie_value are the host's magic cookie; a process started
    without it was not started by the host, so it explains itself and exits.
    """
    if os.environ.get(cookie_key) != cookie_value:
        sys.stderr.write("This is a Parley channel plugin. It is started by the Parley host "
                         "(see docs/plugins-in-other-languages.md), not by hand.\n")
        sys.exit(1)
    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    if str(app_protocol_version) not in versions.split(","):
        # The host will refuse the handshake; say why on our side too.
        log.error("the host does not speak this plugin's protocol version",
                  extra={"fields": {"plugin": app_protocol_version, "host": versions}})

    # The host stops its plugins itself, once it has finished with them; a
    # Ctrl-C meant for the host must not end the plugin first (the Parley
    # host also starts it in a process group of its own).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    _watch_parent(stopping)

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE),
                 ("grpc.max_send_message_length", MAX_MESSAGE)],
    )
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stopping), server)

    # A Unix socket in a directory only this user can enter, as go-plugin
    # does on Unix; PLUGIN_UNIX_SOCKET_DIR is where the host wants it, if set.
    sockdir = tempfile.mkdtemp(prefix="plugin", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
    sock = os.path.join(sockdir, "plugin.sock")
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "")
    cert_field = ""
    tls = None
    if client_cert:
        # AutoMTLS: the host sent its certificate; answer with ours and
        # accept only connections that present the host's.
        cert_pem, key_pem, cert_der = server_certificate()
        tls = (client_cert.encode(), key_pem, cert_pem)
        creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=client_cert.encode(),
                                            require_client_auth=True)
        server.add_secure_port("unix:" + sock, creds)
        # Base64 without padding, as Go's base64.RawStdEncoding.
        cert_field = base64.b64encode(cert_der).decode().rstrip("=")
    else:
        # A go-plugin host without AutoMTLS; the Parley host always sends
        # its certificate, and refuses a plugin that serves plain text.
        server.add_insecure_port("unix:" + sock)
    broker = Broker(stopping, tls)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(broker, server)
    register(server, broker)
    server.start()

    line = "|".join([str(CORE_PROTOCOL_VERSION), str(app_protocol_version), "unix", sock, "grpc", cert_field])
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    log.debug("plugin serving", extra={"fields": {"network": "unix", "address": sock}})

    stopping.wait()
    # Let calls in flight finish (the host waits 2 s before it kills).
    server.stop(grace=1.5).wait()
    shutil.rmtree(sockdir, ignore_errors=True)
    log.debug("plugin stopped")
