"""Two `pacta serve` processes (replicas A and B) on one PostgreSQL database, on loopback ports:

1. propagation: a write on one replica, polled on the other until it answers with the write's ETag (p50/p99);
2. concurrent writers on both replicas: appends without If-Match to shared agreements, and races of two writes with
   the same If-Match (PUT/PUT, append/append, PUT/append), one through each replica: exactly one 2xx per race, the
   other 412;
3. `kill -9` of A during writes through both, CYCLES times, A restarted each time: once ready, the restarted A holds
   every write acknowledged before it was started;
4. PostgreSQL restarted (`pg_ctl restart -m immediate`) during writes: both replicas reconnect and catch up, /readyz
   back to 200 by itself; then PostgreSQL stopped: reads go on from memory with `Pacta-Stale`, writes answer 503
   with Retry-After, /readyz 503; started again: everything recovers by itself.

After each phase every acknowledged write is checked exactly once in the database (read with psql: the audit row of
its request id, its events in the stored document) and in both catalogs (each touched agreement, as the database
has it); a write whose answer was lost (connection cut, 503) may be there at most once; nothing else is.

`--catch-up N` measures instead: B stopped, N writes through A, B started: the time until B is ready and holds them
all; and B frozen (SIGSTOP) during N writes, then resumed (SIGCONT): the time until it holds them all.

Usage: replicas_test.py BINARY DATABASE_URL PGDATA PGBIN [--cycles N] [--catch-up N]. The database must be empty;
PGDATA/PGBIN name the cluster (owned by the `postgres` user) that phase 4 restarts. See scripts/replicas-test.sh."""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, free_port  # noqa: E402

lock = threading.Lock()
failures = []
checks = {"passed": 0}


def fail(message):
    with lock:
        failures.append(message)
    print("FAIL", message, flush=True)


def check(condition, message):
    if condition:
        with lock:
            checks["passed"] += 1
    else:
        fail(message)
    return condition


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def problem_type(body):
    try:
        return json.loads(body).get("type")
    except (ValueError, AttributeError):
        return None


class Database:
    """The cluster: psql for reading what is stored, pg_ctl for restarting it (as the `postgres` user)."""

    def __init__(self, url, pgdata, pgbin):
        self.url, self.pgdata, self.pgbin = url, pgdata, pgbin

    def query_json(self, sql):
        """One JSON value computed by `sql`."""
        out = subprocess.run(["psql", self.url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return json.loads(out)

    def agreements(self):
        """id -> (version, document)."""
        rows = self.query_json(
            "SELECT coalesce(json_agg(json_build_array(id, version, document)), '[]') FROM pacta_agreements")
        return {row[0]: (row[1], row[2]) for row in rows}

    def audit_counts(self):
        """request id -> how many audit rows carry it."""
        rows = self.query_json(
            "SELECT coalesce(json_agg(json_build_array(request_id, n)), '[]') FROM "
            "(SELECT request_id, count(*) AS n FROM pacta_audit WHERE request_id IS NOT NULL GROUP BY request_id) c")
        return {row[0]: row[1] for row in rows}

    def pg_ctl(self, *arguments, timeout=120):
        command = " ".join([f"{self.pgbin}/pg_ctl", "-D", self.pgdata, *arguments])
        subprocess.run(["su", "postgres", "-c", command], cwd="/", check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def restart(self):
        self.pg_ctl("-m", "immediate", "-w", "-t", "60", "-l", os.path.join(os.path.dirname(self.pgdata), "server.log"),
                    "restart")

    def stop(self):
        self.pg_ctl("-m", "immediate", "-w", "-t", "60", "stop")

    def start(self):
        # `restart` reuses the options of the last start (postmaster.opts); `start` needs them again.
        port = urllib.parse.urlsplit(self.url).port
        options = f"'-p {port} -k {os.path.dirname(self.pgdata)} -c listen_addresses=127.0.0.1'"
        self.pg_ctl("-w", "-t", "60", "-l", os.path.join(os.path.dirname(self.pgdata), "server.log"), "-o", options,
                    "start")


class Ledger:
    """Every write sent, by request id: acknowledged (2xx), refused (4xx: must not be stored), or unknown (no
    answer, or 503: stored at most once). Acknowledged appends also record their events."""

    def __init__(self):
        self.acked = {}  # request id -> agreement id
        self.refused = {}  # request id -> (agreement id, status)
        self.unknown = {}  # request id -> agreement id
        self.events = {}  # (agreement id, event id) -> (canonical event, request id)
        self.touched = set()
        self.duplicates = []

    def acknowledge(self, request_id, identifier, events=()):
        with lock:
            self.acked[request_id] = identifier
            self.touched.add(identifier)
            for event in events:
                key = (identifier, event["id"])
                if key in self.events:
                    self.duplicates.append((key, self.events[key][1], request_id))
                self.events[key] = (canonical(event), request_id)

    def refuse(self, request_id, identifier, status):
        with lock:
            self.refused[request_id] = (identifier, status)
            self.touched.add(identifier)

    def lose(self, request_id, identifier):
        with lock:
            self.unknown[request_id] = identifier
            self.touched.add(identifier)

    def snapshot(self):
        """The acknowledged events so far, by agreement."""
        with lock:
            by_agreement = {}
            for (identifier, event_id), (text, _) in self.events.items():
                by_agreement.setdefault(identifier, {})[event_id] = text
            return by_agreement, set(self.acked.values())


class Client:
    """A keep-alive connection to one replica; every write carries a unique X-Request-Id and lands in the ledger."""

    def __init__(self, name, server, token, ledger):
        self.name, self.server, self.token, self.ledger = name, server, token, ledger
        self.serial = 0
        self.connection = None

    def request_id(self, kind):
        self.serial += 1
        return f"rt-{self.name}-{self.serial}-{kind}"

    def close(self):
        if self.connection:
            self.connection.close()
        self.connection = None

    def send(self, method, path, body=None, headers=None, timeout=20):
        """(status, lower-cased headers, body) or None when the connection failed."""
        data = json.dumps(body).encode() if body is not None else None
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)
            try:
                self.connection.request(method, path, body=data, headers=all_headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 0 and method in ("GET", "HEAD"):
                    continue
                return None
        return None

    def get(self, identifier):
        return self.send("GET", f"/v1/agreements/{identifier}")

    def write(self, method, path, identifier, kind, body=None, if_match=None):
        """Sends one write; files it in the ledger; returns (request id, answer or None)."""
        request_id = self.request_id(kind)
        headers = {"Authorization": f"Bearer {self.token}", "X-Request-Id": request_id}
        if if_match is not None:
            headers["If-Match"] = if_match
        answer = self.send(method, path, body, headers)
        if answer is None or answer[0] >= 500:
            self.ledger.lose(request_id, identifier)
        elif 200 <= answer[0] < 300:
            events = []
            if kind == "append":
                events = json.loads(answer[2])["items"]
            elif kind in ("put", "create"):
                events = [e for e in json.loads(answer[2])["events"] if request_id in e.get("summary", "")]
            self.ledger.acknowledge(request_id, identifier, events)
        else:
            self.ledger.refuse(request_id, identifier, answer[0])
        return request_id, answer

    def create(self, identifier):
        request_id = f"rt-{self.name}-{self.serial + 1}-create"
        document = agreement(identifier, [{"id": "e0", "type": "signature", "date": "2019-06-01",
                                           "summary": f"created by {request_id}"}])
        return self.write("POST", "/v1/agreements", identifier, "create", document)

    def append(self, identifier, count=1, if_match=None):
        request_id = f"rt-{self.name}-{self.serial + 1}-append"
        drafts = [{"type": "signature", "date": "2020-01-01", "summary": f"{request_id} part {k}"} for k in range(count)]
        return self.write("POST", f"/v1/agreements/{identifier}/events", identifier, "append",
                          {"events": drafts}, if_match)

    def put(self, identifier, document, if_match):
        request_id = f"rt-{self.name}-{self.serial + 1}-put"
        document = json.loads(json.dumps(document))
        document["events"].append({"id": f"p-{request_id}", "type": "signature", "date": "2020-01-02",
                                   "summary": f"{request_id}"})
        return self.write("PUT", f"/v1/agreements/{identifier}", identifier, "put", document, if_match)


def start_replica(name, binary, url, work, port=None, env=None):
    server = Server(binary, os.path.join(work, f"{name}.unused.sqlite"), os.path.join(work, f"{name}.log"),
                    env={"PACTA_DATABASE_URL": url, **(env or {})}, port=port)
    return server.start(timeout=120)


def wait_ready(server, timeout=60):
    """Seconds until /readyz answers 200; None when it did not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if server.request("GET", "/readyz", timeout=5)[0] == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.02)
    return None


def wait_converged(database, servers, identifiers, timeout=30):
    """Waits until every replica answers each agreement with the database's version (or 404 for a missing one);
    returns the database's agreements, or None (after a FAIL) when they did not converge."""
    deadline = time.monotonic() + timeout
    clients = [Client(f"check{i}", s, "", None) for i, s in enumerate(servers)]
    pending = set(identifiers)
    stored = database.agreements()
    try:
        while True:
            stored = database.agreements()
            for identifier in sorted(pending):
                expected = stored.get(identifier)
                if all(_answers(client, identifier, expected) for client in clients):
                    pending.discard(identifier)
            if not pending:
                return stored
            if time.monotonic() > deadline:
                fail(f"replicas did not converge on {len(pending)} agreements within {timeout}s: {sorted(pending)[:5]}")
                return None
            time.sleep(0.05)
    finally:
        for client in clients:
            client.close()


def _answers(client, identifier, expected):
    answer = client.get(identifier)
    if answer is None:
        return False
    status, headers, _ = answer
    if expected is None:
        return status == 404
    return status == 200 and headers.get("etag") == f'"{expected[0]}"'


def verify(label, database, ledger, servers):
    """Every acknowledged write exactly once in the database and in every replica's catalog; refused ones nowhere;
    unknown ones at most once; no event that no write sent."""
    stored = wait_converged(database, servers, ledger.touched)
    if stored is None:
        return
    audit = database.audit_counts()
    with lock:
        acked, refused, unknown = dict(ledger.acked), dict(ledger.refused), dict(ledger.unknown)
        events = dict(ledger.events)
        duplicates = list(ledger.duplicates)
    for key, first, second in duplicates:
        fail(f"{label}: event {key} acknowledged twice ({first}, {second})")
    missing = [r for r in acked if audit.get(r) != 1]
    check(not missing, f"{label}: {len(missing)} acknowledged writes not exactly once in pacta_audit: "
          f"{[(r, audit.get(r)) for r in missing[:5]]}")
    stored_refused = [r for r in refused if r in audit]
    check(not stored_refused, f"{label}: refused writes in pacta_audit: {stored_refused[:5]}")
    twice = [r for r in unknown if audit.get(r, 0) > 1]
    check(not twice, f"{label}: writes with a lost answer stored more than once: {twice[:5]}")
    committed_unknown = sum(1 for r in unknown if audit.get(r) == 1)
    # Every event in the database: acknowledged ones exactly once and unchanged, the rest from lost answers only.
    lost_events = 0
    for identifier, (_, document) in stored.items():
        if not identifier.startswith("rt-"):
            continue
        ids = [e.get("id") for e in document.get("events", [])]
        check(len(ids) == len(set(ids)), f"{label}: {identifier} has duplicate event ids")
        for event in document.get("events", []):
            key = (identifier, event.get("id"))
            if key in events:
                check(canonical(event) == events[key][0], f"{label}: {key} stored as {event}, acknowledged "
                      f"as {events[key][0]}")
                continue
            summary = event.get("summary", "")
            request_id = summary.split()[-1] if summary.startswith("created by") else summary.split(" part ")[0]
            if check(request_id in unknown, f"{label}: {key} stored but no write sent it ({summary!r})"):
                lost_events += 1
    for (identifier, event_id), (text, request_id) in events.items():
        document = stored.get(identifier, (None, {}))[1]
        found = [e for e in document.get("events", []) if e.get("id") == event_id]
        check(len(found) == 1, f"{label}: acknowledged event {identifier}/{event_id} ({request_id}) stored "
              f"{len(found)} times")
    # The catalogs: converged above on every touched agreement's version, so each holds the database's document.
    for server in servers:
        client = Client("verify", server, "", None)
        differ = []
        for identifier in sorted(ledger.touched):
            answer = client.get(identifier)
            expected = stored.get(identifier)
            if expected is None:
                ok = answer is not None and answer[0] == 404
            else:
                ok = answer is not None and answer[0] == 200 and canonical(json.loads(answer[2])) == canonical(
                    expected[1])
            if not ok:
                differ.append(identifier)
        client.close()
        check(not differ, f"{label}: replica on port {server.port} differs from the database on {differ[:5]}")
    print(f"  {label}: {len(acked)} acknowledged writes ({len(events)} events) exactly once in the database and in "
          f"{len(servers)} catalogs; {len(refused)} refused, none stored; {len(unknown)} unanswered, "
          f"{committed_unknown} of them committed (once), {lost_events} events from them", flush=True)


# 1. Propagation

def propagation(a, b, token, ledger, samples):
    """Writes alternately through A and B; after each 2xx, polls the other replica until it answers with the write's
    ETag. Returns the lags in milliseconds."""
    clients = {"a": Client("pa", a, token, ledger), "b": Client("pb", b, token, ledger)}
    readers = {"a": Client("ra", a, token, ledger), "b": Client("rb", b, token, ledger)}
    identifier = "rt-propagation"
    _, answer = clients["a"].create(identifier)
    check(answer is not None and answer[0] == 201, f"propagation: create answered {answer and answer[0]}")
    lags = []
    for n in range(samples):
        writer, reader = ("a", "b") if n % 2 == 0 else ("b", "a")
        _, answer = clients[writer].append(identifier)
        if not check(answer is not None and answer[0] == 201, f"propagation: append answered {answer and answer[:3:2]}"):
            continue
        etag = answer[1].get("etag")
        written = time.monotonic()
        while True:
            got = readers[reader].get(identifier)
            if got is not None and got[0] == 200 and got[1].get("etag") == etag:
                lags.append((time.monotonic() - written) * 1000)
                break
            if time.monotonic() - written > 10:
                fail(f"propagation: {reader} did not show the write within 10 s")
                break
    for client in list(clients.values()) + list(readers.values()):
        client.close()
    return lags


# 2. Concurrent writers

def concurrent_appends(a, b, token, ledger, per_client, clients_per_replica=3):
    shared = [f"rt-shared-{k}" for k in range(3)]
    setup = Client("setup", a, token, ledger)
    for identifier in shared:
        _, answer = setup.create(identifier)
        check(answer is not None and answer[0] == 201, f"create {identifier}: {answer and answer[0]}")
    setup.close()
    wait_converged_quiet(b, shared)

    def run(client, seed):
        rng = random.Random(seed)
        for _ in range(per_client):
            _, answer = client.append(rng.choice(shared), rng.randint(1, 3))
            check(answer is not None and answer[0] == 201, f"concurrent append through {client.name}: "
                  f"{answer and (answer[0], answer[2][:200])}")
        client.close()

    threads = []
    for replica_name, server in (("a", a), ("b", b)):
        for k in range(clients_per_replica):
            client = Client(f"c{replica_name}{k}", server, token, ledger)
            threads.append(threading.Thread(target=run, args=(client, 1000 * k + ord(replica_name))))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return len(threads) * per_client, time.monotonic() - started


def wait_converged_quiet(server, identifiers, timeout=15):
    client = Client("wait", server, "", None)
    deadline = time.monotonic() + timeout
    for identifier in identifiers:
        while (answer := client.get(identifier)) is None or answer[0] != 200:
            if time.monotonic() > deadline:
                fail(f"{identifier} did not reach the replica on port {server.port}")
                client.close()
                return
            time.sleep(0.02)
    client.close()


def if_match_races(a, b, token, ledger, rounds):
    """Each round: both replicas hold the agreement at ETag E; a write with If-Match: E goes through each at once."""
    identifier = "rt-race"
    ca, cb = Client("xa", a, token, ledger), Client("xb", b, token, ledger)
    _, answer = ca.create(identifier)
    check(answer is not None and answer[0] == 201, f"race: create answered {answer and answer[0]}")
    outcomes = {"one winner": 0}
    kinds = [("put", "put"), ("append", "append"), ("put", "append"), ("append", "put")]
    for n in range(rounds):
        # The same ETag on both replicas, so that each sends what it would have served.
        deadline = time.monotonic() + 10
        while True:
            ga, gb = ca.get(identifier), cb.get(identifier)
            if ga and gb and ga[0] == gb[0] == 200 and ga[1]["etag"] == gb[1]["etag"]:
                break
            if time.monotonic() > deadline:
                fail("race: the replicas do not agree on the agreement's ETag")
                return outcomes
            time.sleep(0.005)
        etag, document = ga[1]["etag"], json.loads(ga[2])
        kind_a, kind_b = kinds[n % len(kinds)]
        barrier = threading.Barrier(2)
        results = {}

        def go(client, kind, key):
            barrier.wait()
            if kind == "put":
                results[key] = client.put(identifier, document, etag)
            else:
                results[key] = client.append(identifier, 1, etag)

        threads = [threading.Thread(target=go, args=(ca, kind_a, "a")), threading.Thread(target=go, args=(cb, kind_b, "b"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = [results[k][1][0] if results.get(k) and results[k][1] else None for k in ("a", "b")]
        won = [s for s in statuses if s in (200, 201)]
        lost = [k for k in ("a", "b") if results.get(k) and results[k][1] and results[k][1][0] == 412]
        ok = len(won) == 1 and len(lost) == 1 and problem_type(results[lost[0]][1][2]) == \
            "urn:pacta:problem:precondition-failed"
        if check(ok, f"race {n} ({kind_a} via A, {kind_b} via B, If-Match {etag}): statuses {statuses}"):
            outcomes["one winner"] += 1
    ca.close()
    cb.close()
    return outcomes


# 3 and 4. Writers that keep going while replicas or the database fail

class Writers:
    """Writer threads through each replica, each on agreements of its own: creates, appends without If-Match and
    read-modify-write PUTs with If-Match. A failed connection or a 503 is an unknown outcome; the writer pauses
    briefly and goes on."""

    def __init__(self, label, servers, token, ledger, per_replica=2):
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.threads = []
        self.counts = {"acked": 0, "unknown": 0, "refused": 0}
        for name, server in servers.items():
            for k in range(per_replica):
                client = Client(f"{label}{name}{k}", server, token, ledger)
                self.threads.append(threading.Thread(target=self.run, args=(client, random.Random(f"{name}{k}"))))

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
            if thread.is_alive():
                fail("a writer did not finish")

    def tally(self, answer):
        key = "unknown" if answer is None or answer[0] >= 500 else "acked" if answer[0] < 300 else "refused"
        with lock:
            self.counts[key] += 1
        return key

    def run(self, client, rng):
        current, events, generation = None, 0, 0
        while not self.stop.is_set():
            if self.paused.is_set():
                time.sleep(0.05)
                continue
            if current is None or events > 400:
                generation += 1
                identifier = f"rt-{client.name}-{generation}"
                _, answer = client.create(identifier)
                outcome = self.tally(answer)
                if outcome == "acked":
                    current, events = identifier, 1
                elif outcome == "refused" and answer[0] == 409:
                    current, events = identifier, 1  # created by a write whose answer was lost
                else:
                    time.sleep(0.05)
                continue
            if rng.random() < 0.8:
                _, answer = client.append(current, rng.randint(1, 3))
                outcome = self.tally(answer)
                if outcome == "acked":
                    events += 3
                elif outcome == "refused":
                    fail(f"{client.name}: append to {current} refused: {answer[0]} {answer[2][:200]!r}")
            else:
                got = client.get(current)
                if got is None or got[0] != 200:
                    time.sleep(0.05)
                    continue
                _, answer = client.put(current, json.loads(got[2]), got[1]["etag"])
                outcome = self.tally(answer)
                if outcome == "refused" and answer[0] != 412:
                    fail(f"{client.name}: PUT {current} refused: {answer[0]} {answer[2][:200]!r}")
            if outcome == "unknown":
                time.sleep(0.05)
        client.close()


def kill_cycles(a, b, token, ledger, cycles, rng):
    writers = Writers("k", {"a": a, "b": b}, token, ledger)
    writers.start()
    restarts = []
    try:
        for cycle in range(cycles):
            time.sleep(rng.uniform(0.3, 0.8))
            a.kill(signal.SIGKILL)
            a.wait(timeout=30)
            time.sleep(rng.uniform(0.0, 0.3))
            acknowledged, agreements = ledger.snapshot()
            started = time.monotonic()
            a.start(timeout=120)
            restarts.append(time.monotonic() - started)
            # Every write acknowledged before A was started (through A before it died, or through B) is in A.
            client = Client("k", a, "", None)
            missing = []
            for identifier in sorted(agreements):
                answer = client.get(identifier)
                held = {}
                if answer is not None and answer[0] == 200:
                    held = {e["id"]: canonical(e) for e in json.loads(answer[2]).get("events", [])}
                else:
                    missing.append((identifier, "absent"))
                    continue
                for event_id, text in acknowledged.get(identifier, {}).items():
                    if held.get(event_id) != text:
                        missing.append((identifier, event_id))
            client.close()
            check(not missing, f"kill cycle {cycle}: the restarted A lacks acknowledged writes {missing[:5]}")
    finally:
        writers.finish()
    return writers.counts, restarts


def database_restarts(a, b, token, ledger, database, restarts):
    writers = Writers("p", {"a": a, "b": b}, token, ledger)
    writers.start()
    recoveries = []
    try:
        for _ in range(restarts):
            time.sleep(1.0)
            database.restart()
            back = time.monotonic()
            ready = [wait_ready(server, timeout=60) for server in (a, b)]
            check(all(r is not None for r in ready), f"a replica did not become ready after the restart: {ready}")
            recoveries.append((time.monotonic() - back) * 1000)
            # Writes go through again, by themselves.
            time.sleep(0.5)
        before = dict(writers.counts)
        time.sleep(1.0)
        check(writers.counts["acked"] > before["acked"], "no write was acknowledged after the restarts")
    finally:
        writers.finish()
    return writers.counts, recoveries


def database_outage(a, b, token, ledger, database):
    """PostgreSQL stopped: reads from memory with Pacta-Stale, writes 503 with Retry-After, /readyz 503; started:
    all recovers by itself. Returns (seconds until both ready after the start, staleness headers seen)."""
    client_a, client_b = Client("oa", a, token, ledger), Client("ob", b, token, ledger)
    identifier = "rt-outage"
    _, answer = client_a.create(identifier)
    check(answer is not None and answer[0] == 201, "outage: create")
    wait_converged_quiet(b, [identifier])
    database.stop()
    seen = {}
    try:
        for name, server in (("A", a), ("B", b)):
            deadline = time.monotonic() + 30
            while server.request("GET", "/readyz", timeout=30)[0] != 503 and time.monotonic() < deadline:
                time.sleep(0.05)
            status, headers, body = server.request("GET", "/readyz", timeout=30)
            check(status == 503, f"outage: /readyz on {name} answered {status}")
        for name, client in (("A", client_a), ("B", client_b)):
            answer = client.get(identifier)
            check(answer is not None and answer[0] == 200, f"outage: a read on {name} answered {answer and answer[0]}")
            stale = answer[1].get("pacta-stale") if answer else None
            seen[name] = stale
            check(stale is not None and stale.startswith("age=") and ", revision=" in stale,
                  f"outage: a read on {name} has Pacta-Stale {stale!r}")
        _, answer = client_a.append(identifier)
        check(answer is not None and answer[0] == 503 and "retry-after" in answer[1]
              and answer[1].get("content-type", "").startswith("application/problem+json")
              and problem_type(answer[2]) == "urn:pacta:problem:unavailable",
              f"outage: a write answered {answer and (answer[0], answer[1].get('retry-after'), answer[2][:200])}")
    finally:
        database.start()
    back = time.monotonic()
    ready = [wait_ready(server, timeout=60) for server in (a, b)]
    recovery = time.monotonic() - back
    check(all(r is not None for r in ready), f"outage: a replica did not become ready again: {ready}")
    for name, client in (("A", client_a), ("B", client_b)):
        answer = client.get(identifier)
        check(answer is not None and answer[0] == 200 and "pacta-stale" not in answer[1],
              f"outage: after recovery a read on {name} still has Pacta-Stale {answer and answer[1].get('pacta-stale')}")
    _, answer = client_b.append(identifier)
    check(answer is not None and answer[0] == 201, f"outage: a write after recovery answered {answer and answer[0]}")
    client_a.close()
    client_b.close()
    return recovery, seen


# HAProxy in front

def haproxy_config(shipped, port, a, b):
    """The shipped configuration on loopback: listening on `port`, the two servers at A's and B's ports, without
    Docker's resolver; everything else (health checks on /readyz, timings, retries) as shipped."""
    lines, skipping = [], False
    for line in open(shipped).read().splitlines():
        stripped = line.strip()
        if stripped.startswith("resolvers "):
            skipping = True
            continue
        if skipping:
            if stripped and not line.startswith(" "):
                skipping = False
            else:
                continue
        if stripped.startswith("bind "):
            line = f"    bind 127.0.0.1:{port}"
        elif stripped.startswith("default-server "):
            line = line.replace(" resolvers docker", "").replace(" init-addr last,libc,none", "")
        elif stripped.startswith("backend "):
            lines.append(line)
            line = "    http-response set-header X-Served-By %s"
        elif stripped.startswith("server pacta-a "):
            line = f"    server pacta-a 127.0.0.1:{a.port} check"
        elif stripped.startswith("server pacta-b "):
            line = f"    server pacta-b 127.0.0.1:{b.port} check"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    check("resolvers" not in text and f"127.0.0.1:{a.port}" in text and "/readyz" in text,
          "haproxy: the shipped configuration did not adapt to loopback")
    return text


def through_haproxy(a, b, token, ledger, work, shipped):
    """HAProxy (the shipped configuration on loopback) in front of A and B; clients read and write through it
    while A is killed with SIGKILL and later restarted. Returns (5xx or failed requests and the last one's delay
    after the kill, requests made, seconds from A's restart (ready) until the proxy routed to it again)."""
    port = free_port()
    config = os.path.join(work, "haproxy.cfg")
    with open(config, "w") as f:
        f.write(haproxy_config(shipped, port, a, b))
    subprocess.run(["haproxy", "-c", "-q", "-f", config], check=True, timeout=30)
    log = open(os.path.join(work, "haproxy.log"), "ab")
    proxy = subprocess.Popen(["haproxy", "-db", "-f", config], stdout=log, stderr=log)
    front = Server(None, None, None, port=port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if front.request("GET", "/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                fail("haproxy did not answer")
                return None
            time.sleep(0.05)
        time.sleep(2.5)  # two health checks each
        identifier = "rt-haproxy"
        client = Client("h", front, token, ledger)
        _, answer = client.create(identifier)
        check(answer is not None and answer[0] == 201, f"haproxy: create answered {answer and answer[0]}")
        errors, made, killed_at, restarted_at, back_at = [], 0, None, None, None
        started = time.monotonic()
        # A killed after 2 s, restarted 4 s later; then until the proxy routes to it again (the test's configuration
        # names the server that answered in X-Served-By), at most 20 s.
        while back_at is None and time.monotonic() - started < 26:
            if killed_at is None and time.monotonic() - started > 2:
                a.kill(signal.SIGKILL)
                a.wait(timeout=30)
                killed_at = time.monotonic()
            if restarted_at is None and killed_at and time.monotonic() - killed_at > 4:
                a.start(timeout=120)
                restarted_at = time.monotonic()  # ready
            if made % 4 == 3:
                _, answer = client.append(identifier)
            else:
                answer = client.get(identifier)
            made += 1
            if answer is None or answer[0] >= 500:
                errors.append((time.monotonic(), answer and answer[0]))
            elif restarted_at and answer[1].get("x-served-by") == "pacta-a":
                back_at = time.monotonic() - restarted_at
        check(back_at is not None, "haproxy: the restarted A was not put back in rotation within 20 s")
        client.close()
        last_error = max((t for t, _ in errors), default=None)
        delay = (last_error - killed_at) if last_error and killed_at else None
        return errors, made, delay, back_at
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
        log.close()


# Catch-up measurement

def bulk_writes(server, token, ledger, total, threads=8):
    """`total` writes through `server`: one create for every four appends, spread over `threads` clients."""
    counter = {"left": total}
    last = {}  # the write acknowledged last: identifier and ETag

    def run(k):
        client = Client(f"bulk{k}-{time.monotonic_ns()}", server, token, ledger)
        current, events, generation = None, 0, 0
        while True:
            with lock:
                if counter["left"] <= 0:
                    break
                counter["left"] -= 1
            if current is None or events >= 4:
                generation += 1
                current = f"rt-{client.name}-{generation}"
                _, answer = client.create(current)
                events = 0
            else:
                _, answer = client.append(current)
                events += 1
            if check(answer is not None and answer[0] in (200, 201), f"bulk write: {answer and answer[0]}"):
                with lock:
                    last.update(identifier=current, etag=answer[1].get("etag"))
        client.close()

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.monotonic() - started, last


def shows(server, last, since, timeout=300):
    """Seconds from `since` until `server` answers the last acknowledged write's agreement with its ETag: the catalog
    applies changes in revision order, so it then holds every earlier write too (verify() checks them all)."""
    client = Client("catch", server, "", None)
    try:
        while time.monotonic() - since < timeout:
            answer = client.get(last["identifier"])
            if answer is not None and answer[0] == 200 and answer[1].get("etag") == last["etag"]:
                return time.monotonic() - since
            time.sleep(0.005)
        fail(f"the replica on port {server.port} did not show the last write within {timeout} s")
        return None
    finally:
        client.close()


def catch_up(binary, url, work, token, ledger, database, a, b, total):
    b_port = b.port
    b.kill(signal.SIGTERM)
    b.wait(timeout=60)
    write_seconds, last = bulk_writes(a, token, ledger, total)
    print(f"  {total} writes through A with B stopped: {write_seconds:.1f} s ({total / write_seconds:.0f} writes/s)",
          flush=True)
    started = time.monotonic()
    b = start_replica("b", binary, url, work, port=b_port)
    ready = time.monotonic() - started
    held = shows(b, last, started)
    print(f"  B started: ready {ready:.2f} s after its process was (loading every agreement included); it showed the "
          f"last write after {held:.2f} s", flush=True)

    b.kill(signal.SIGSTOP)
    write_seconds, last = bulk_writes(a, token, ledger, total)
    print(f"  {total} writes through A with B frozen (SIGSTOP): {write_seconds:.1f} s", flush=True)
    resumed = time.monotonic()
    b.kill(signal.SIGCONT)
    held = shows(b, last, resumed)
    check(wait_ready(b) is not None, "B did not become ready after it was resumed")
    print(f"  B resumed (SIGCONT): it showed the last write after {held:.2f} s (caught up through its queued "
          f"notifications and changes(after:))", flush=True)
    return b


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("url")
    parser.add_argument("pgdata")
    parser.add_argument("pgbin")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--catch-up", type=int, default=0)
    parser.add_argument("--phases", default="propagation,concurrency,kill,restart,outage,haproxy",
                        help="comma-separated, in this order (for debugging one)")
    parser.add_argument("--keep-logs", help="copy the servers' logs into this directory at the end")
    arguments = parser.parse_args()
    binary = os.path.realpath(arguments.binary)
    database = Database(arguments.url, arguments.pgdata, arguments.pgbin)
    rng = random.Random(20261206)
    overall = time.monotonic()
    ledger = Ledger()
    with tempfile.TemporaryDirectory() as work:
        a = start_replica("a", binary, arguments.url, work)
        token = subprocess.check_output([binary, "token", "create", "replicas-test", "--database-url", arguments.url],
                                        text=True, timeout=60).strip()
        b = start_replica("b", binary, arguments.url, work)
        servers = [a, b]
        try:
            if arguments.catch_up:
                print(f"== catch-up: {arguments.catch_up} writes", flush=True)
                b = catch_up(binary, arguments.url, work, token, ledger, database, a, b, arguments.catch_up)
                servers = [a, b]
                verify("catch-up", database, ledger, servers)
                return finish(overall)

            phases = arguments.phases.split(",")
            if "propagation" in phases:
                print(f"== propagation: {arguments.samples} appends alternately through A and B, the other polled",
                      flush=True)
                lags = propagation(a, b, token, ledger, arguments.samples)
                if lags:
                    print(f"  propagation lag over {len(lags)} writes: p50 {percentile(lags, 50):.1f} ms, "
                          f"p90 {percentile(lags, 90):.1f} ms, p99 {percentile(lags, 99):.1f} ms, max {max(lags):.1f} ms, "
                          f"mean {statistics.mean(lags):.1f} ms", flush=True)
                verify("propagation", database, ledger, servers)

            if "concurrency" in phases:
                print("== concurrent writers on both replicas", flush=True)
                sent, seconds = concurrent_appends(a, b, token, ledger, per_client=40)
                print(f"  {sent} appends without If-Match by 6 clients (3 per replica) in {seconds:.1f} s", flush=True)
                outcomes = if_match_races(a, b, token, ledger, rounds=40)
                print(f"  If-Match races (one write through each replica, same ETag): {outcomes['one winner']}/40 with "
                      f"exactly one 2xx and one 412", flush=True)
                verify("concurrent writers", database, ledger, servers)

            if "kill" in phases:
                print(f"== kill -9 of A during writes through both, {arguments.cycles} times", flush=True)
                counts, restarts = kill_cycles(a, b, token, ledger, arguments.cycles, rng)
                print(f"  writes: {counts['acked']} acknowledged, {counts['unknown']} unanswered (A down or killed "
                      f"mid-write), {counts['refused']} refused (412 on a stale read-modify-write); A ready again "
                      f"after {statistics.median(restarts):.2f} s (median, process start included), "
                      f"max {max(restarts):.2f} s", flush=True)
                verify("kill -9", database, ledger, servers)

            if "restart" in phases:
                print("== PostgreSQL restarted (pg_ctl restart -m immediate) during writes, 3 times", flush=True)
                counts, recoveries = database_restarts(a, b, token, ledger, database, 3)
                print(f"  writes: {counts['acked']} acknowledged, {counts['unknown']} unanswered or 503; both replicas "
                      f"ready again {', '.join(f'{r:.0f}' for r in recoveries)} ms after pg_ctl returned", flush=True)
                verify("PostgreSQL restarts", database, ledger, servers)

            if "outage" in phases:
                print("== PostgreSQL stopped, then started", flush=True)
                recovery, seen = database_outage(a, b, token, ledger, database)
                print(f"  while down: reads 200 from memory with Pacta-Stale ({seen}), writes 503 with Retry-After, "
                      f"/readyz 503; both ready {recovery * 1000:.0f} ms after pg_ctl start returned", flush=True)
                verify("PostgreSQL outage", database, ledger, servers)

            if "haproxy" in phases:
                print("== HAProxy (deploy/haproxy/haproxy.cfg on loopback) in front; A killed, then restarted", flush=True)
                shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "haproxy", "haproxy.cfg")
                result = through_haproxy(a, b, token, ledger, work, shipped)
                if result is not None:
                    errors, made, delay, back = result
                    # Checked every second, down after two failures: nothing may fail beyond that, with a second's slack.
                    check(delay is None or delay <= 4.0, f"haproxy: a request failed {delay or 0:.1f} s after A was "
                          f"killed ({errors[-3:]})")
                    print(f"  {made} requests through HAProxy (3 reads to 1 write): {len(errors)} failed or 5xx, the last "
                          f"{'-' if delay is None else f'{delay:.2f} s'} after A was killed; A back in rotation "
                          f"{'-' if back is None else f'{back:.2f} s'} after it was ready again", flush=True)
                verify("HAProxy", database, ledger, servers)
        finally:
            for server in servers:
                server.stop()
            if failures:
                for server in servers:
                    print(f"--- last lines of {server.log_path}")
                    print("".join(open(server.log_path, errors="replace").readlines()[-15:]))
            if arguments.keep_logs:
                os.makedirs(arguments.keep_logs, exist_ok=True)
                for name in os.listdir(work):
                    if name.endswith(".log"):
                        shutil.copy(os.path.join(work, name), arguments.keep_logs)
    return finish(overall)


def finish(overall):
    print(f"{checks['passed']} passed, {len(failures)} failed in {time.monotonic() - overall:.0f} s", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
