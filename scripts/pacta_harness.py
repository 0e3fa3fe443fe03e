"""Shared helpers for the scripts that run a real Pacta server: start it on a free loopback port, wait until
it is ready, talk HTTP to it, stop it. Standard library only."""
import http.client
import json
import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `pacta serve` process on a database file; its log goes to `log_path`."""

    def __init__(self, binary, database, log_path, env=None, port=None):
        self.binary, self.database, self.log_path = binary, database, log_path
        self.env = {**os.environ, "PACTA_DATABASE": database, "PACTA_SEED": "false", **(env or {})}
        self.port = port or free_port()
        self.process = None

    def start(self, timeout=30.0):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", str(self.port)], env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}")
            try:
                status, _, _ = self.request("GET", "/readyz", timeout=1)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10):
        """One request on a new connection; returns (status, headers, body bytes)."""
        connection = self.connection(timeout)
        try:
            data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
            all_headers = {"Connection": "close", **(headers or {})}
            if data is not None:
                all_headers.setdefault("Content-Type", "application/json")
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def kill(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, timeout=None):
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def create_token(binary, database, name):
    env = dict(os.environ, PACTA_DATABASE=database)
    return subprocess.check_output([binary, "token", "create", name], env=env, text=True).strip()


def agreement(identifier, events=()):
    return {
        "id": identifier, "title": f"Agreement {identifier}", "kind": "bilateral",
        "parties": [{"code": "AA", "name": "A"}, {"code": "BB", "name": "B"}],
        "rules": {
            "entryIntoForce": {"kind": "onDate", "date": "2020-01-01"},
            "term": {"kind": "fixed", "length": "P1Y"},
            "renewal": {"kind": "automatic", "period": "P1Y"},
            "termination": {"notice": "P90D", "counting": "beforeLastDayInForce", "noticeDate": "receipt"},
        },
        "events": list(events),
    }


failures = []


def fail(message):
    """Records a failed check (a script exits non-zero when `failures` is not empty) and prints it."""
    failures.append(message)
    print("FAIL", message, flush=True)


def ok(message):
    print("ok  ", message, flush=True)
