"""A webhook receiver on loopback for the scripts: verifies every request with the Standard Webhooks reference
library and records what arrived. Standard library plus `standardwebhooks`."""
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


# Every event type a subscription may ask for.
ALL_TYPES = ["agreement.created", "agreement.updated", "agreement.deleted", "events.appended", "status.changed",
             "deadline.approaching", "deadline.passed"]


class Receiver:
    """Serves POST /<name>; each name has a secret (set once the subscription exists) and a policy: "ok" answers
    204, "flaky" answers 500 to the first attempt at each webhook-id and 200 to the next. With `tls=(certificate
    file, key file)` it serves HTTPS instead (the handshake in each connection's own thread), and counts the
    handshakes that failed (a client that does not trust the certificate) in `tls_failures`. With `keep_alive`
    it answers in HTTP/1.1 and keeps the connection; by default each answer closes it."""

    def __init__(self, tls=None, keep_alive=False):
        self.keep_alive = keep_alive
        self.lock = threading.Lock()
        self.secrets = {}
        self.policies = {}
        self.deliveries = []  # dicts: name, id, type, data, status, received (monotonic seconds)
        self.unsigned = []  # requests whose signature did not verify (or were missing one)
        self.attempts = {}  # (name, id) -> count
        self.tls_failures = 0
        self.scheme = "https" if tls else "http"
        handler = self._handler()
        self.server = (_TLSServer(("127.0.0.1", 0), handler, tls, self) if tls
                       else _PlainServer(("127.0.0.1", 0), handler))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name):
        return f"{self.scheme}://127.0.0.1:{self.port}/{name}"

    def expect(self, name, secret, policy="ok"):
        with self.lock:
            self.secrets[name] = secret
            self.policies[name] = policy

    def close(self):
        self.server.shutdown()

    def received(self, name):
        with self.lock:
            return [d for d in self.deliveries if d["name"] == name]

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keeps connections (and TLS sessions) for the sender to reuse; HTTP/1.0 closes each one.
            protocol_version = "HTTP/1.1" if receiver.keep_alive else "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_POST(self):
                arrived = time.monotonic()
                arrived_wall = time.time()
                name = self.path.strip("/")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    secret = receiver.secrets.get(name)
                    policy = receiver.policies.get(name, "ok")
                try:
                    if secret is None:
                        raise WebhookVerificationError("no secret for this path")
                    payload = Webhook(secret).verify(body, headers)
                except Exception as error:  # any failure to verify is a finding
                    with receiver.lock:
                        receiver.unsigned.append((name, headers.get("webhook-id"), repr(error)))
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                key = (name, headers["webhook-id"])
                with receiver.lock:
                    receiver.attempts[key] = receiver.attempts.get(key, 0) + 1
                    count = receiver.attempts[key]
                status = 500 if policy == "flaky" and count == 1 else (200 if policy == "flaky" else 204)
                with receiver.lock:
                    receiver.deliveries.append({
                        "name": name, "id": headers["webhook-id"], "type": payload["type"],
                        "data": payload["data"], "status": status, "received": arrived, "receivedWall": arrived_wall,
                        "signedAt": int(headers["webhook-timestamp"]),
                    })
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


class _PlainServer(ThreadingHTTPServer):
    """socketserver listens with a backlog of 5: the deliverer's 8 concurrent connections overflowed it, and the
    SYN the kernel dropped was sent again a second later (a 1 s p99 that was the receiver's, not Pacta's)."""
    request_queue_size = 128


class _TLSServer(_PlainServer):
    """HTTPS: each accepted connection is wrapped, and its handshake made, in the connection's own thread."""

    def __init__(self, address, handler, tls, receiver):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*tls)
        self.receiver = receiver
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.receiver.lock:
                self.receiver.tls_failures += 1
            return
        wrapped.settimeout(None)
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()


def wait_for(condition, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def subscribe(server, token, url, events):
    status, _, body = server.request("POST", "/v1/webhooks", {"url": url, "events": events, "description": "test"},
                                     {"Authorization": f"Bearer {token}"})
    if status != 201:
        raise RuntimeError(f"POST /v1/webhooks answered {status}: {body[:300]!r}")
    return json.loads(body)
