"""Write integrity under concurrency: clients append events, replace agreements read-modify-write with If-Match,
try to rewrite recorded events, and create and delete agreements, all at once against one live server; then
every acknowledged write must be in the data exactly once and unchanged, nothing else may be, and the audit
trail (read page by page) must hold exactly one entry per acknowledged write and none for a refused one.
Usage: integrity_test.py BINARY [SECONDS (default 20)] [MAX_REQUESTS (default 6000)]. Exits 1 on any
violation. See scripts/integrity-test.sh."""
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token  # noqa: E402

CLIENTS = 8
SHARED = ["shared-a", "shared-b", "shared-c"]  # appends and read-modify-write PUTs race on these
MAX_PUT_ATTEMPTS = 25
HISTORY_PAGE = 7  # small, so that the trail of every agreement spans several pages

lock = threading.Lock()
failures = []
checks = {"passed": 0}


def fail(message):
    with lock:
        failures.append(message)
    print("FAIL", message, flush=True)


def check(condition, message):
    """One counted assertion; prints a FAIL line when it does not hold."""
    if condition:
        with lock:
            checks["passed"] += 1
    else:
        fail(message)
    return condition


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def problem_type(body):
    try:
        return json.loads(body).get("type")
    except (ValueError, AttributeError):
        return None


class Ledger:
    """What the server acknowledged (and refused), shared by every client."""

    def __init__(self):
        self.events = {}  # agreement id -> {event id: (canonical JSON, request id)}
        self.duplicate_acks = []  # (agreement id, event id, request ids): one id acknowledged twice
        self.writes = {}  # request id -> (agreement id, action)
        self.refused = {}  # request id -> (agreement id, status)
        self.lost = []  # (request id, agreement id, what): sent, no answer
        self.touched = set(SHARED)
        self.deleted = set()
        self.counts = {"appends": 0, "appended": 0, "puts": 0, "put_events": 0, "creates": 0, "deletes": 0,
                       "412": 0, "422": 0, "428": 0, "gave_up": 0}

    def acknowledge(self, request_id, identifier, action, events=()):
        with lock:
            self.writes[request_id] = (identifier, action)
            self.touched.add(identifier)
            recorded = self.events.setdefault(identifier, {})
            for event in events:
                if event["id"] in recorded:
                    self.duplicate_acks.append((identifier, event["id"], (recorded[event["id"]][1], request_id)))
                recorded[event["id"]] = (canonical(event), request_id)
            if action == "delete":
                self.deleted.add(identifier)

    def refuse(self, request_id, identifier, status):
        with lock:
            self.refused[request_id] = (identifier, status)
            self.counts[str(status)] = self.counts.get(str(status), 0) + 1

    def count(self, key, n=1):
        with lock:
            self.counts[key] += n


class Client:
    """One thread's keep-alive connection; every request carries a unique X-Request-Id."""

    def __init__(self, index, server, token, ledger, budget):
        self.index, self.server, self.token, self.ledger, self.budget = index, server, token, ledger, budget
        self.serial = 0
        self.connection = None
        self.random = random.Random(20261202 + index)

    def request_id(self, kind):
        self.serial += 1
        return f"it-{self.index}-{self.serial}-{kind}"

    def send(self, method, path, request_id, body=None, if_match=None, write=True):
        """(status, headers, body bytes), or None when the answer was lost (recorded as such)."""
        headers = {"X-Request-Id": request_id}
        if write:
            headers["Authorization"] = f"Bearer {self.token}"
        if if_match is not None:
            headers["If-Match"] = if_match
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.budget.take()
        for attempt in range(2):
            if self.connection is None:
                self.connection = self.server.connection(timeout=15)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                self.connection.close()
                self.connection = None
                # A reused keep-alive connection the server had closed: a GET is safe to resend.
                if attempt == 0 and not write:
                    continue
                return self.lose(request_id, path, f"{method}: {type(error).__name__}")
            except (OSError, http.client.HTTPException) as error:
                if self.connection:
                    self.connection.close()
                self.connection = None
                return self.lose(request_id, path, f"{method}: {type(error).__name__}: {error}")
        return None

    def lose(self, request_id, path, what):
        with lock:
            self.ledger.lost.append((request_id, path, what))
        fail(f"client {self.index}: no answer to {request_id} ({what})")
        return None

    def get(self, identifier):
        answer = self.send("GET", f"/v1/agreements/{identifier}", self.request_id("get"), write=False)
        if answer is None:
            return None, None
        status, headers, body = answer
        if not check(status == 200 and headers.get("etag"), f"GET {identifier}: {status} {body[:200]!r}"):
            return None, None
        return json.loads(body), headers["etag"]

    # (a) appends without ids
    def append(self, identifier):
        drafts = [{"type": "signature", "date": "2020-01-01",
                   "summary": f"append by client {self.index} #{self.serial} part {k}"}
                  for k in range(self.random.randint(1, 3))]
        request_id = self.request_id("append")
        answer = self.send("POST", f"/v1/agreements/{identifier}/events", request_id, {"events": drafts})
        if answer is None:
            return
        status, headers, body = answer
        if not check(status == 201, f"append to {identifier} ({request_id}): {status} {body[:200]!r}"):
            return
        items = json.loads(body).get("items")
        if not check(isinstance(items, list) and len(items) == len(drafts),
                     f"append {request_id}: 201 body lists {items!r:.200} for {len(drafts)} events"):
            return
        check(bool(headers.get("etag")), f"append {request_id}: 201 without an ETag")
        for draft, item in zip(drafts, items):
            check(isinstance(item.get("id"), str) and {k: v for k, v in item.items() if k != "id"} == draft,
                  f"append {request_id}: acknowledged {item} for {draft}")
        self.ledger.acknowledge(request_id, identifier, "appendEvents", items)
        self.ledger.count("appends")
        self.ledger.count("appended", len(items))

    # (b) read-modify-write with If-Match
    def put(self, identifier, without_if_match=False):
        for _ in range(MAX_PUT_ATTEMPTS):
            document, etag = self.get(identifier)
            if document is None:
                return
            self.serial += 1
            new = [{"id": f"put-{self.index}-{self.serial}-{k}", "type": "signature", "date": "2020-01-02",
                    "summary": f"put by client {self.index} #{self.serial}"} for k in range(self.random.randint(1, 2))]
            document["events"] = document.get("events", []) + new
            request_id = self.request_id("put")
            answer = self.send("PUT", f"/v1/agreements/{identifier}", request_id, document,
                               if_match=None if without_if_match else etag)
            if answer is None:
                return
            status, headers, body = answer
            if without_if_match:
                if check(status == 428 and problem_type(body) == "urn:pacta:problem:precondition-required"
                         and headers.get("content-type", "").startswith("application/problem+json"),
                         f"PUT {identifier} without If-Match ({request_id}): {status} {body[:200]!r}, want 428 "
                         "urn:pacta:problem:precondition-required"):
                    self.ledger.refuse(request_id, identifier, 428)
                elif status == 200:  # it was written after all: keep the ledger true to the data
                    self.ledger.acknowledge(request_id, identifier, "replace", json.loads(body)["events"][-len(new):])
                elif 400 <= status < 500:
                    self.ledger.refuse(request_id, identifier, status)
                return
            if status == 412:
                check(problem_type(body) == "urn:pacta:problem:precondition-failed",
                      f"PUT {identifier} ({request_id}): 412 with {body[:200]!r}")
                self.ledger.refuse(request_id, identifier, 412)
                continue
            if not check(status == 200, f"PUT {identifier} ({request_id}): {status} {body[:200]!r}"):
                return
            returned = json.loads(body).get("events", [])
            acknowledged = returned[-len(new):] if len(returned) >= len(new) else []
            check([canonical(e) for e in acknowledged] == [canonical(e) for e in new],
                  f"PUT {identifier} ({request_id}): the 200 body's last events {acknowledged} are not the ones sent")
            check(canonical(returned) == canonical(document["events"]),
                  f"PUT {identifier} ({request_id}): the 200 body's events differ from the document sent")
            self.ledger.acknowledge(request_id, identifier, "replace", acknowledged)
            self.ledger.count("puts")
            self.ledger.count("put_events", len(new))
            return
        self.ledger.count("gave_up")

    # (c) a PUT that rewrites history must be refused whatever If-Match says
    def rewrite(self, identifier):
        document, _ = self.get(identifier)
        if document is None:
            return
        events = document.get("events", [])
        if len(events) < 2:
            return
        drop = self.random.random() < 0.5
        index = self.random.randrange(len(events) - 1)  # not the last: a dropped last event is a shorter list
        if drop:
            del events[index]
        else:
            altered = dict(events[index])
            altered["summary"] = f"rewritten by client {self.index}"
            altered["date"] = "1999-01-01"
            events[index] = altered
        self.serial += 1
        events.append({"id": f"bad-{self.index}-{self.serial}", "type": "signature", "date": "2020-01-03"})
        request_id = self.request_id("rewrite")
        answer = self.send("PUT", f"/v1/agreements/{identifier}", request_id, document, if_match="*")
        if answer is None:
            return
        status, headers, body = answer
        what = "drops" if drop else "alters"
        if status == 200:
            fail(f"PUT {identifier} with If-Match: * that {what} recorded event {index} ({request_id}) was accepted")
            self.ledger.acknowledge(request_id, identifier, "replace", [])  # its trail entry is then expected
            with lock:
                self.ledger.events.setdefault(identifier, {})[f"bad-{self.index}-{self.serial}"] = (
                    canonical(events[-1]), request_id)
            return
        problem = json.loads(body) if body else {}
        pointers = [error.get("pointer") for error in problem.get("errors") or []]
        check(status == 422 and problem.get("type") == "urn:pacta:problem:validation"
              and f"/events/{index}" in pointers,
              f"PUT {identifier} with If-Match: * that {what} recorded event {index} ({request_id}): {status} "
              f"{body[:300]!r}, want 422 urn:pacta:problem:validation with pointer /events/{index}")
        if 400 <= status < 500:
            self.ledger.refuse(request_id, identifier, status)

    # (d) throwaway agreements, created and deleted with If-Match
    def create_delete(self, check_428=False):
        self.serial += 1
        identifier = f"tmp-{self.index}-{self.serial}"
        request_id = self.request_id("create")
        answer = self.send("POST", "/v1/agreements", request_id, agreement(identifier))
        if answer is None:
            return
        status, headers, body = answer
        if not check(status == 201 and headers.get("etag"), f"create {identifier}: {status} {body[:200]!r}"):
            return
        self.ledger.acknowledge(request_id, identifier, "create", json.loads(body).get("events", []))
        self.ledger.count("creates")
        etag = headers["etag"]
        attempts = [None] if check_428 else []
        if self.random.random() < 0.3:
            attempts.append('"stale"')
        for if_match in attempts + [etag]:
            request_id = self.request_id("delete")
            answer = self.send("DELETE", f"/v1/agreements/{identifier}", request_id, if_match=if_match)
            if answer is None:
                return
            status, headers, body = answer
            if if_match is None:
                if check(status == 428 and problem_type(body) == "urn:pacta:problem:precondition-required",
                         f"DELETE {identifier} without If-Match ({request_id}): {status} {body[:200]!r}, want 428"):
                    self.ledger.refuse(request_id, identifier, 428)
                    continue
                if status == 204:  # deleted after all: keep the ledger true to the data
                    self.ledger.acknowledge(request_id, identifier, "delete")
                    self.ledger.count("deletes")
                    return
                continue
            if if_match == '"stale"':
                if check(status == 412 and problem_type(body) == "urn:pacta:problem:precondition-failed",
                         f"DELETE {identifier} with a stale If-Match ({request_id}): {status} {body[:200]!r}"):
                    self.ledger.refuse(request_id, identifier, 412)
                continue
            if check(status == 204, f"DELETE {identifier} with its ETag ({request_id}): {status} {body[:200]!r}"):
                self.ledger.acknowledge(request_id, identifier, "delete")
                self.ledger.count("deletes")

    def run(self, deadline):
        try:
            # Once per client: writes without If-Match are refused with 428.
            self.put(self.random.choice(SHARED), without_if_match=True)
            self.create_delete(check_428=True)
            while time.monotonic() < deadline and self.budget.left():
                roll = self.random.random()
                target = self.random.choice(SHARED)
                if roll < 0.40:
                    self.append(target)
                elif roll < 0.75:
                    self.put(target)
                elif roll < 0.85:
                    self.rewrite(target)
                else:
                    self.create_delete()
        except Exception as error:  # a harness bug or an unparsable answer: a failure, never a hang
            fail(f"client {self.index}: {type(error).__name__}: {error}")
        finally:
            if self.connection:
                self.connection.close()


class Budget:
    """The bound on requests across all clients."""

    def __init__(self, limit):
        self.limit, self.used = limit, 0

    def take(self):
        with lock:
            self.used += 1

    def left(self):
        with lock:
            return self.used < self.limit


def history(server, identifier, limit):
    """Every audit entry of `identifier`, following `next` page by page; None if a page could not be read."""
    path = f"/v1/agreements/{identifier}/history" + (f"?limit={limit}" if limit else "")
    items, pages = [], 0
    while path and pages < 5000:
        status, _, body = server.request("GET", path)
        if not check(status == 200, f"GET {path}: {status} {body[:200]!r}"):
            return None
        page = json.loads(body)
        pages += 1
        if limit:
            check(len(page.get("items", [])) <= limit,
                  f"GET {path}: {len(page.get('items', []))} entries on a page of limit={limit}")
        items += page.get("items", [])
        nxt = page.get("next")
        if nxt is not None:
            check(bool(page.get("nextCursor")), f"GET {path}: `next` without `nextCursor`")
        path = nxt
        if path and path.startswith("http"):
            path = "/" + path.split("/", 3)[3]
    return items


def verify(server, ledger):
    for identifier in sorted(ledger.touched):
        status, _, body = server.request("GET", f"/v1/agreements/{identifier}")
        recorded = ledger.events.get(identifier, {})
        if identifier in ledger.deleted:
            check(status == 404, f"{identifier}: deleted as acknowledged but GET answers {status}")
        elif check(status == 200, f"{identifier}: GET answers {status}"):
            events = json.loads(body).get("events", [])
            ids = [event.get("id") for event in events]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            check(not duplicates, f"{identifier}: event ids appear more than once: {duplicates[:10]}")
            present = {}
            for event in events:
                present.setdefault(event.get("id"), []).append(canonical(event))
            missing = [i for i in recorded if i not in present]
            check(not missing, f"{identifier}: {len(missing)} acknowledged events missing: {missing[:10]}")
            changed = [i for i, (text, _) in recorded.items() if i in present and text not in present[i]]
            check(not changed, f"{identifier}: {len(changed)} acknowledged events changed: {changed[:10]}")
            unacknowledged = [i for i in present if i not in recorded]
            check(not unacknowledged,
                  f"{identifier}: {len(unacknowledged)} events present that no acknowledged write added: "
                  f"{unacknowledged[:10]}")
            bad = [i for i in present if i and i.startswith("bad-")]
            check(not bad, f"{identifier}: events of refused rewrites present: {bad[:10]}")
        entries = history(server, identifier, HISTORY_PAGE)
        if entries is None:
            continue
        whole = history(server, identifier, 500)
        if whole is not None:
            check([canonical(e) for e in whole] == [canonical(e) for e in entries],
                  f"{identifier}/history: pages of {HISTORY_PAGE} and of 500 disagree")
        sequences = [entry.get("sequence") for entry in entries]
        check(all(isinstance(s, int) for s in sequences) and sequences == sorted(set(sequences)),
              f"{identifier}/history: sequences not strictly increasing (oldest first): {sequences[:20]}")
        by_request = {}
        for entry in entries:
            by_request.setdefault(entry.get("requestId"), []).append(entry)
        expected = {rid: action for rid, (agreement_id, action) in ledger.writes.items() if agreement_id == identifier}
        for request_id, action in expected.items():
            found = by_request.get(request_id, [])
            check(len(found) == 1 and found[0].get("action") == action,
                  f"{identifier}/history: acknowledged {action} {request_id} has {len(found)} entries "
                  f"{[e.get('action') for e in found]}")
        refused = [rid for rid, (agreement_id, _) in ledger.refused.items()
                   if agreement_id == identifier and rid in by_request]
        check(not refused, f"{identifier}/history: entries for refused writes: {refused[:10]}")
        unknown = [rid for rid in by_request if rid not in expected and rid not in ledger.refused]
        check(not unknown, f"{identifier}/history: entries no acknowledged write explains: {unknown[:10]}")
        check(len(entries) == len(expected),
              f"{identifier}/history: {len(entries)} entries for {len(expected)} acknowledged writes")
    for identifier, event_id, request_ids in ledger.duplicate_acks:
        fail(f"{identifier}: event id {event_id} acknowledged twice ({request_ids[0]}, {request_ids[1]})")
    check(not ledger.lost, f"{len(ledger.lost)} requests without an answer: {ledger.lost[:5]}")


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    max_requests = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
    with tempfile.TemporaryDirectory() as work:
        database = os.path.join(work, "integrity.sqlite")
        log_path = os.path.join(work, "server.log")
        token = create_token(binary, database, "integrity-test")
        server = Server(binary, database, log_path).start()
        ledger = Ledger()
        started = time.monotonic()
        try:
            for n, identifier in enumerate(SHARED):
                request_id = f"it-setup-{n}"
                events = [{"id": "e1", "type": "signature", "date": "2019-06-01", "summary": "setup"}]
                status, _, body = server.request(
                    "POST", "/v1/agreements", agreement(identifier, events),
                    {"Authorization": f"Bearer {token}", "X-Request-Id": request_id})
                if status != 201:
                    fail(f"setup: create {identifier}: {status} {body[:200]!r}")
                    raise SystemExit(1)
                ledger.acknowledge(request_id, identifier, "create", json.loads(body)["events"])
            budget = Budget(max_requests)
            deadline = time.monotonic() + seconds
            clients = [Client(i, server, token, ledger, budget) for i in range(CLIENTS)]
            threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 120)
                if thread.is_alive():
                    fail("a client did not finish in time")
            load_seconds = time.monotonic() - started
            verify(server, ledger)
        finally:
            server.stop()
            if failures:
                print("--- last lines of the server log")
                print("".join(open(log_path, errors="replace").readlines()[-20:]))
    c = ledger.counts
    refused = len(ledger.refused)
    print(f"integrity: {CLIENTS} clients for {load_seconds:.1f}s, {budget.used} requests; {c['appends']} appends "
          f"({c['appended']} events), {c['puts']} puts ({c['put_events']} events), {c['creates']} creates, "
          f"{c['deletes']} deletes acknowledged; {refused} refused as expected (412: {c.get('412', 0)}, "
          f"422: {c.get('422', 0)}, 428: {c.get('428', 0)}); {c['gave_up']} puts gave up after "
          f"{MAX_PUT_ATTEMPTS} 412s; {len(failures)} violations")
    print(f"{checks['passed']} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
