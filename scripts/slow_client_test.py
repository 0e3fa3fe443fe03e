"""Slow clients: a connection that trickles its body, one that trickles its headers and one that stays silent
are each cut after their timeout, while normal requests keep being answered quickly. Usage:
slow_client_test.py BINARY. See scripts/slow-client-test.sh."""
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, create_token  # noqa: E402

REQUEST_TIMEOUT = 3
IDLE_TIMEOUT = 2
failures = []


def trickle(port, prefix, trickled, interval, give_up):
    """Sends `prefix`, then one byte of `trickled` every `interval` seconds until the server closes the
    connection. Returns (seconds until closed or None, what the server answered)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(interval)
    started = time.monotonic()
    answer = b""
    try:
        sock.sendall(prefix)
        for byte in trickled:
            if time.monotonic() - started > give_up:
                return None, answer
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return time.monotonic() - started, answer
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    return time.monotonic() - started, answer
                answer += chunk
            except socket.timeout:
                pass
            except OSError:
                return time.monotonic() - started, answer
        return None, answer
    finally:
        sock.close()


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as work:
        database = os.path.join(work, "slow.sqlite")
        token = create_token(binary, database, "slow-test")
        server = Server(binary, database, os.path.join(work, "server.log"),
                        env={"PACTA_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT), "PACTA_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
                             "PACTA_SEED": "true"}).start()
        try:
            latencies = []
            stop = threading.Event()

            def normal_traffic():
                while not stop.is_set():
                    began = time.monotonic()
                    status, _, _ = server.request("GET", "/v1/agreements/gsomia/status?asOf=2019-08-22", timeout=5)
                    latencies.append((status, time.monotonic() - began))
                    time.sleep(0.1)

            traffic = threading.Thread(target=normal_traffic)
            traffic.start()
            body = b'{"id": "slow", "title": "x"}' + b" " * 4000
            body_head = (f"POST /v1/agreements HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 4000 + b"\r\n\r\n"
            cases = [
                ("body trickled 1 byte / 0.5 s", body_head, body, 0.5, REQUEST_TIMEOUT),
                ("headers trickled 1 byte / 0.5 s", b"", headers, 0.5, IDLE_TIMEOUT),
                ("silent after connecting", b"", b"\0" * 0, 0.5, IDLE_TIMEOUT),
            ]
            results = {}

            def run(case):
                name, prefix, trickled, interval, limit = case
                if not trickled:  # silent: wait for the server to close
                    sock = socket.create_connection(("127.0.0.1", server.port))
                    sock.settimeout(limit + 5)
                    began = time.monotonic()
                    try:
                        data = sock.recv(1)
                        results[name] = (time.monotonic() - began, data)
                    except OSError:
                        results[name] = (None, b"")
                    finally:
                        sock.close()
                else:
                    results[name] = trickle(server.port, prefix, trickled, interval, give_up=limit + 10)

            runners = [threading.Thread(target=run, args=(case,)) for case in cases]
            for runner in runners:
                runner.start()
            for runner in runners:
                runner.join()
            stop.set()
            traffic.join()

            for name, _, _, _, limit in cases:
                seconds, answer = results[name]
                status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else "no answer"
                if seconds is None:
                    failures.append(f"{name}: not cut within {limit + 10}s")
                    print(f"FAIL {name}: still open after {limit + 10}s")
                elif seconds > limit + 1.5:
                    failures.append(f"{name}: cut after {seconds:.1f}s, expected about {limit}s")
                    print(f"FAIL {name}: cut after {seconds:.1f}s (limit {limit}s); {status_line}")
                else:
                    print(f"ok   {name}: cut after {seconds:.1f}s (limit {limit}s); answer: {status_line}")
            if "body" in cases[0][0] and b"408" not in results[cases[0][0]][1].split(b"\r\n", 1)[0]:
                print("note: the trickled body was cut without a readable 408 (the close raced the answer)")
            statuses = [status for status, _ in latencies]
            slowest = max(latency for _, latency in latencies) if latencies else None
            ok = statuses and all(status == 200 for status in statuses) and slowest < 1.0
            print(f"{'ok  ' if ok else 'FAIL'} normal requests meanwhile: {len(statuses)} answered, "
                  f"all 200: {all(s == 200 for s in statuses)}, slowest {slowest:.3f}s")
            if not ok:
                failures.append("normal requests were not all answered quickly")
        finally:
            server.stop()
    print(f"slow-client test: {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
