"""Memory and fan-out of GET /v1/stream with many clients, and write throughput with and without them.

Starts `pacta serve` on a fresh database (loopback), measures the server's RSS idle, with CLIENTS stream clients
connected, and after WRITES writes have reached every client; times the writes (one client, sequential POSTs)
with no stream client and with CLIENTS of them. Bounded: gives up after 300 s. Not run in CI (BENCHMARKS.md).
Usage: stream_clients_bench.py BINARY [CLIENTS (default 1000)] [WRITES (default 200)]"""
import os
import selectors
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def timed_writes(server, token, prefix, count):
    auth = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    for n in range(count):
        status, _, _ = server.request(
            "POST", "/v1/agreements", body=agreement(f"{prefix}{n:05}"), headers=auth, timeout=60)
        assert status == 201, status
    return count / (time.monotonic() - started)


def main(binary, clients, writes):
    deadline = time.monotonic() + 300
    with tempfile.TemporaryDirectory() as directory:
        database = os.path.join(directory, "pacta.sqlite")
        token = create_token(binary, database, "bench")
        server = Server(binary, database, os.path.join(directory, "server.log"),
                        env={"PACTA_STREAM_MAX_CLIENTS": str(clients)}).start()
        try:
            pid = server.process.pid
            timed_writes(server, token, "warm", 20)
            idle = rss_kib(pid)
            baseline = timed_writes(server, token, "base", writes)

            selector = selectors.DefaultSelector()
            sockets = []
            request = b"GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
            for _ in range(clients):
                sock = socket.create_connection(("127.0.0.1", server.port))
                sock.sendall(request)
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ, {"data": b""})
                sockets.append(sock)
            # Every client has its head (and the retry line).
            def pump(until):
                while time.monotonic() < deadline:
                    if all(until(key.data["data"]) for key in selector.get_map().values()):
                        return True
                    for key, _ in selector.select(timeout=1):
                        try:
                            chunk = key.fileobj.recv(65536)
                        except BlockingIOError:
                            continue
                        key.data["data"] += chunk
                return False

            assert pump(lambda data: b"retry:" in data), "not every client got its head"
            connected = rss_kib(pid)
            status, _, _ = server.request("GET", "/v1/stream")
            over = status
            started = time.monotonic()
            with_clients = timed_writes(server, token, "live", writes)
            assert pump(lambda data: data.count(b"event: agreement.created") >= writes), "an event did not arrive"
            fanout = time.monotonic() - started
            delivered = rss_kib(pid)
            for sock in sockets:
                selector.unregister(sock)
                sock.close()
            time.sleep(2)
            closed = rss_kib(pid)
            print(f"clients: {clients}, writes: {writes}")
            print(f"RSS idle: {idle / 1024:.1f} MiB; with {clients} clients connected: {connected / 1024:.1f} MiB "
                  f"(+{(connected - idle) / clients:.1f} KiB per client); after {writes} events to each: "
                  f"{delivered / 1024:.1f} MiB; 2 s after closing them: {closed / 1024:.1f} MiB")
            print(f"client {clients + 1}: HTTP {over}")
            print(f"writes/s, sequential POSTs: {baseline:.0f} with no stream client, {with_clients:.0f} with {clients}")
            print(f"all {writes} events at all {clients} clients {fanout:.2f} s after the first write began")
        finally:
            server.stop()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000, int(sys.argv[3]) if len(sys.argv) > 3 else 200)
