"""Malformed and odd requests against a seeded live server: query parameters without `=` or repeated, bad
`limit`s, huge and NUL-bearing query values, odd paths and request-targets, an unknown method, wrong bodies, a
chunked body over the limit, and HEAD on every GET route. Each must answer its documented status class, never a
5xx, and a 4xx with a body is an RFC 9457 problem document. Every request carries a real bearer token, a cookie
and a custom header with unique markers; none of them, nor a dump of those headers, may reach the server's log.
The battery runs three times: at the default log level, at trace, and at trace with JSON logs.
Usage: malformed_requests.py BINARY. Exits 1 on any failure. See scripts/malformed-requests.sh."""
import json
import os
import re
import select
import socket
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token  # noqa: E402

BODY_LIMIT = 1048576  # the default PACTA_MAX_BODY_BYTES
GET_ROUTES = [
    "/healthz", "/readyz", "/openapi.yaml", "/metrics", "/v1/agreements", "/v1/agreements/gsomia",
    "/v1/agreements/gsomia/status", "/v1/agreements/gsomia/events", "/v1/agreements/gsomia/history",
    "/v1/agreements/gsomia/timeline", "/v1/agreements/gsomia/timeline.svg", "/v1/agreements/gsomia/calendar.ics",
    "/v1/deadlines", "/v1/summary", "/v1/calendar.ics", "/v1/agreements/gsomia/parties/JP/status",
    "/v1/dates?date=2020-01-31&add=P1M",
]
results = {"passed": 0, "failed": 0}


def report(ok, name, detail):
    results["passed" if ok else "failed"] += 1
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
    return ok


class Response:
    def __init__(self, status, headers, body, error=None):
        self.status, self.headers, self.body, self.error = status, headers, body, error

    def header(self, name):
        return self.headers.get(name.lower())

    def describe(self):
        if self.status is None:
            return f"no answer ({self.error})"
        kind = self.header("content-type") or "no content type"
        return f"{self.status} {kind} {self.body[:160]!r}"


def parse_head(data):
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


def dechunk(data):
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2:]
    return body


def complete(data, method):
    """Whether `data` holds a whole response (so reading can stop before the server closes)."""
    if b"\r\n\r\n" not in data:
        return False
    _, headers, rest = parse_head(data)
    if method == "HEAD":
        return False  # read on until the close: a HEAD answer must end with its headers
    if "content-length" in headers:
        return len(rest) >= int(headers["content-length"])
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return rest.endswith(b"0\r\n\r\n")
    return False


def raw(port, head, body=b"", method="GET", chunks=None, timeout=10.0):
    """Sends `head` (request line and header lines, without the blank line) and the body as is, or `chunks` in
    chunked framing, watching for an early answer; reads the answer until it is complete or the server closes.
    No normalization of the request-target by Python."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        sock.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
        for chunk in chunks or []:
            if select.select([sock], [], [], 0)[0]:
                break  # the server answered (413, say) before the whole body: stop sending, read it
            try:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:
                break
        else:
            if chunks is not None:
                try:
                    sock.sendall(b"0\r\n\r\n")
                except OSError:
                    pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not complete(data, method):
            sock.settimeout(max(0.05, min(1.0 if method == "HEAD" and b"\r\n\r\n" in data else timeout,
                                          deadline - time.monotonic())))
            try:
                piece = sock.recv(65536)
            except socket.timeout:
                if method == "HEAD" and b"\r\n\r\n" in data:
                    break  # headers, then nothing for a second: no body
                continue
            except OSError as error:
                if not data:
                    return Response(None, {}, b"", f"{type(error).__name__}")
                break
            if not piece:
                break
            data += piece
    finally:
        sock.close()
    if b"\r\n\r\n" not in data:
        return Response(None, {}, data, "no complete response head")
    status, headers, rest = parse_head(data)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        rest = dechunk(rest)
    return Response(status, headers, rest)


class Battery:
    def __init__(self, server, token, label):
        self.server, self.token, self.label = server, token, label
        marker = uuid.uuid4().hex
        self.cookie = f"pacta-cookie-{marker}"
        self.probe = f"pacta-probe-{marker}"

    def secret_headers(self):
        return (f"Authorization: Bearer {self.token}\r\nCookie: session={self.cookie}\r\n"
                f"X-Secret-Probe: {self.probe}")

    def send(self, method, target, body=b"", content_type=None, extra="", chunks=None):
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.server.port}", self.secret_headers(),
                 "Connection: close"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        if chunks is not None:
            lines.append("Transfer-Encoding: chunked")
        elif body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        if extra:
            lines.append(extra)
        return raw(self.server.port, "\r\n".join(lines), body, method=method, chunks=chunks)

    def problem_ok(self, response, problem_type=None, names=None):
        """'' when a 4xx answer is a proper problem document (or has no body); else what is wrong."""
        if not response.body:
            return "" if problem_type is None and names is None else "an empty body, want a problem document"
        kind = (response.header("content-type") or "").split(";")[0].strip()
        if kind != "application/problem+json":
            return f"Content-Type {kind or 'none'}, want application/problem+json"
        try:
            problem = json.loads(response.body)
        except ValueError:
            return "a body that is not JSON"
        if not isinstance(problem, dict) or not all(k in problem for k in ("type", "title", "status")):
            return "a problem document without type, title and status"
        if problem["status"] != response.status:
            return f"problem status {problem['status']} != HTTP {response.status}"
        if problem_type and problem["type"] != problem_type:
            return f"problem type {problem['type']}, want {problem_type}"
        if names and names not in (problem.get("detail") or ""):
            return f"detail {problem.get('detail')!r} does not name '{names}'"
        return ""

    def case(self, name, response, allowed, problem_type=None, names=None):
        """`allowed`: a set of statuses, or classes written '2xx' / '4xx'."""
        name = f"[{self.label}] {name}"
        status = response.status
        if status is None:
            return report(False, name, response.describe())
        fits = status in allowed or f"{status // 100}xx" in allowed
        if not fits:
            return report(False, name, f"{response.describe()}; want {sorted(map(str, allowed))}")
        if 400 <= status < 500:
            wrong = self.problem_ok(response, problem_type, names)
            if wrong:
                return report(False, name, f"{status} with {wrong}: {response.body[:160]!r}")
        return report(True, name, f"{status}")

    def run(self):
        four = {"4xx"}
        problem = {400, 422}
        # 4. Query parameters without '=', empty ones, repeated ones.
        for target, parameter in [("/v1/agreements?asOf", "asOf"), ("/v1/deadlines?from", "from"),
                                  ("/v1/calendar.ics?alarm", "alarm"), ("/v1/agreements/gsomia/status?asOf", "asOf"),
                                  ("/v1/agreements?limit", "limit")]:
            self.case(f"GET {target} (no '=')", self.send("GET", target), problem, names=parameter)
        self.case("GET /v1/agreements?&& (empty parameters)", self.send("GET", "/v1/agreements?&&"), problem)
        for target in ["/v1/agreements?asOf=2020-01-01&asOf=2021-01-01",
                       "/v1/agreements/gsomia/status?asOf=2020-01-01&asOf=2021-01-01",
                       "/v1/deadlines?from=2020-01-01&from=2021-01-01", "/v1/agreements?limit=5&limit=6"]:
            self.case(f"GET {target} (repeated)", self.send("GET", target), {"2xx", "4xx"})
        # Limits and odd query values.
        for target in ["/v1/agreements?limit=abc", "/v1/agreements?limit=0", "/v1/agreements?limit=99999",
                       "/v1/deadlines?limit=abc", "/v1/deadlines?limit=0", "/v1/deadlines?limit=99999",
                       "/v1/agreements/gsomia/history?limit=abc", "/v1/agreements/gsomia/history?limit=0",
                       "/v1/agreements/gsomia/history?limit=501"]:
            # A value of the wrong type is a 400 problem; naming the parameter there needs the generated decoder's
            # help (it reports no coding path), so only the range checks are held to name it.
            self.case(f"GET {target}", self.send("GET", target), problem, names=None if target.endswith("abc") else "limit")
        self.case("GET /v1/agreements/gsomia/history?limit=1 (paged)", self.send(
            "GET", "/v1/agreements/gsomia/history?limit=1"), {200})
        self.case("GET /v1/agreements/gsomia/history?cursor=forged", self.send(
            "GET", "/v1/agreements/gsomia/history?cursor=forged"), problem, names="cursor")
        self.case("GET /v1/agreements?q=<20,000 characters>", self.send("GET", "/v1/agreements?q=" + "x" * 20000),
                  four)
        self.case("GET /v1/agreements?asOf=2020-01-01%00 (NUL in a date)",
                  self.send("GET", "/v1/agreements?asOf=2020-01-01%00"), problem, names="asOf")
        self.case("GET /v1/agreements?q=a%00b (NUL in a search text)", self.send("GET", "/v1/agreements?q=a%00b"),
                  {200, "4xx"})
        self.case("GET /v1/agreements/gsomia/status?asOf=2019-13-45",
                  self.send("GET", "/v1/agreements/gsomia/status?asOf=2019-13-45"), problem, names="asOf")
        self.case("GET /v1/agreements/gsomia/status?asOf=%ZZ",
                  self.send("GET", "/v1/agreements/gsomia/status?asOf=%ZZ"), four)
        # 7. Odd paths and request-targets.
        # An empty path segment is collapsed by the router: the same resource, not an error.
        self.case("GET //v1/agreements", self.send("GET", "//v1/agreements"), {200, "4xx"})
        for target in ["/v1/agreements/%00", "/v1/agreements/..%2F..%2Fetc",
                       "/v1/agreements/../../etc/passwd", "/v1/agreements/" + "a" * 5000, "/v1/agreements/%ZZ",
                       "/v1/agreements/gsomia/status/extra"]:
            shown = target if len(target) < 80 else target[:40] + f"…({len(target)} characters)"
            self.case(f"GET {shown}", self.send("GET", target), four)
        self.case("GET http://127.0.0.1:PORT/v1/agreements/gsomia (absolute-form target)",
                  self.send("GET", f"http://127.0.0.1:{self.server.port}/v1/agreements/gsomia"), {200, "4xx"})
        self.case("GET * (asterisk-form target)", self.send("GET", "*"), four)
        self.case("BREW /v1/agreements (unknown method)", self.send("BREW", "/v1/agreements"), four)
        self.case("BREW /nowhere (unknown method, unknown path)", self.send("BREW", "/nowhere"), four)
        # Bodies.
        document = json.dumps(agreement("battery-text")).encode()
        self.case("POST /v1/agreements as text/plain", self.send("POST", "/v1/agreements", document, "text/plain"),
                  {415}, problem_type="urn:pacta:problem:unsupported-media-type")
        self.case("POST /v1/agreements with invalid JSON",
                  self.send("POST", "/v1/agreements", b'{"id": "x", ', "application/json"), {400},
                  problem_type="urn:pacta:problem:malformed-request")
        self.case("POST /v1/agreements with [] as the body",
                  self.send("POST", "/v1/agreements", b"[]", "application/json"), four)
        self.case("POST /v1/agreements/gsomia/events with [] as the body",
                  self.send("POST", "/v1/agreements/gsomia/events", b"[]", "application/json"), four)
        self.case("PUT /v1/agreements/gsomia with invalid JSON",
                  self.send("PUT", "/v1/agreements/gsomia", b"{", "application/json", extra='If-Match: "x"'), four)
        # 5. Over the body limit, with Content-Length and chunked; a small chunked body is fine.
        big = b'{"id": "too-large", "title": "' + b"x" * (1_200_000) + b'"}'
        self.case("POST /v1/agreements, Content-Length 1.2 MB", self.send(
            "POST", "/v1/agreements", big, "application/json"), {413}, problem_type="urn:pacta:problem:too-large")
        self.case("POST /v1/agreements, chunked 1.2 MB, no Content-Length", self.send(
            "POST", "/v1/agreements", content_type="application/json",
            chunks=[big[i:i + 65536] for i in range(0, len(big), 65536)]), {413},
            problem_type="urn:pacta:problem:too-large")
        self.case("POST /v1/agreements/gsomia/events, chunked 1.2 MB", self.send(
            "POST", "/v1/agreements/gsomia/events", content_type="application/json",
            chunks=[b'{"events": [' + b",".join([b'{"type": "signature", "date": "2020-01-01", "summary": "'
                                                 + b"y" * 12000 + b'"}'] * 100) + b"]}"]), {413},
            problem_type="urn:pacta:problem:too-large")
        small = json.dumps(agreement(f"chunked-{self.label}")).encode()
        self.case("POST /v1/agreements, chunked small valid body", self.send(
            "POST", "/v1/agreements", content_type="application/json",
            chunks=[small[i:i + 100] for i in range(0, len(small), 100)]), {201})
        # 6. HEAD answers the GET's status and headers, without a body.
        for path in GET_ROUTES:
            self.head(path)

    def head(self, path):
        name = f"[{self.label}] HEAD {path}"
        get, head = self.send("GET", path), self.send("HEAD", path)
        wrong = []
        if get.status is None or head.status is None:
            return report(False, name, f"GET {get.describe()}, HEAD {head.describe()}")
        if get.status != 200:
            wrong.append(f"GET answers {get.status}")
        if head.status != get.status:
            wrong.append(f"status {head.status}, GET's {get.status}")
        if head.body:
            wrong.append(f"a {len(head.body)}-byte body {head.body[:60]!r}")
        if head.header("content-type") != get.header("content-type"):
            wrong.append(f"Content-Type {head.header('content-type')!r}, GET's {get.header('content-type')!r}")
        if get.header("etag") and path != "/metrics" and head.header("etag") != get.header("etag"):
            wrong.append(f"ETag {head.header('etag')!r}, GET's {get.header('etag')!r}")
        length = head.header("content-length")
        if length is not None and path != "/metrics" and int(length) != len(get.body):
            wrong.append(f"Content-Length {length}, GET's body is {len(get.body)} bytes")
        return report(not wrong, name, "; ".join(wrong) or f"{head.status}, same headers, no body")

    def check_log(self, log_path):
        log = open(log_path, errors="replace").read()
        name = f"[{self.label}] server log"
        leaks = [what for what, text in [("the bearer token", self.token), ("the cookie marker", self.cookie),
                                         ("the X-Secret-Probe marker", self.probe)] if text in log]
        dumps = sorted({m.group(0) for m in re.finditer(r'(?i)"?\b(authorization|cookie)"?\s*[:=]', log)})
        lines = log.count("\n")
        report(lines > 0, f"{name} is not empty", f"{lines} lines, {len(log)} bytes")
        report(not leaks and not dumps, f"{name} holds no secrets",
               f"leaks {leaks}, header dumps {dumps}" if leaks or dumps else "no token, markers or header dumps")


def main():
    binary = sys.argv[1]
    started = time.monotonic()
    for label, env in [("info", {}), ("trace", {"PACTA_LOG_LEVEL": "trace"}),
                       ("trace-json", {"PACTA_LOG_LEVEL": "trace", "PACTA_LOG_FORMAT": "json"})]:
        with tempfile.TemporaryDirectory() as work:
            database = os.path.join(work, "battery.sqlite")
            log_path = os.path.join(work, "server.log")
            token = create_token(binary, database, "malformed-battery")
            server = Server(binary, database, log_path, env={"PACTA_SEED": "true", **env}).start()
            battery = Battery(server, token, label)
            try:
                status, _, _ = server.request("GET", "/v1/agreements/gsomia")
                if not report(status == 200, f"[{label}] seeded: GET /v1/agreements/gsomia", str(status)):
                    continue
                battery.run()
            finally:
                server.stop()
                battery.check_log(log_path)
                if results["failed"]:
                    print(f"--- [{label}] last lines of the server log")
                    print("".join(open(log_path, errors="replace").readlines()[-8:])[-3000:])
    print(f"malformed requests: 3 servers (info, trace, trace+json logs) in {time.monotonic() - started:.1f}s")
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
