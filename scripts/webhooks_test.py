"""Webhooks end to end: a real server, a real receiver verifying every signature, writes, retries and kill -9.
Usage: webhooks_test.py BINARY KILLS [DATABASE_URL]: on a new SQLite file, or on the empty PostgreSQL database at
DATABASE_URL. Exits 1 on any violation. See scripts/webhooks-test.sh."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token, fail, failures, ok  # noqa: E402
from webhooks_receiver import ALL_TYPES, Receiver, subscribe, wait_for  # noqa: E402

def committed_event_ids(database, database_url):
    """The ids of every event in the feed, read from the database itself."""
    if database_url:
        out = subprocess.run(["psql", database_url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c",
                              "SELECT id FROM pacta_feed_events"], check=True, capture_output=True, text=True,
                             timeout=60).stdout
        return {line for line in out.splitlines() if line}
    connection = sqlite3.connect(database)
    committed = {row[0] for row in connection.execute("SELECT id FROM feedEvent")}
    connection.close()
    return committed


def main(binary, kills, database_url=None):
    random.seed(20261206)
    work = tempfile.mkdtemp(prefix="pacta-webhooks-")
    database = os.path.join(work, "pacta.sqlite")
    log = os.path.join(work, "server.log")
    env = {"PACTA_WEBHOOKS_ALLOW_PRIVATE": "true", "PACTA_WEBHOOKS_FIRST_RETRY": "1", "PACTA_WEBHOOKS_TIMEOUT": "3"}
    if database_url:
        env["PACTA_DATABASE_URL"] = database_url
        token = subprocess.check_output([binary, "token", "create", "webhooks", "--database-url", database_url],
                                        text=True).strip()
    else:
        token = create_token(binary, database, "webhooks")
    started = time.monotonic()
    server = Server(binary, database, log, env=env).start()
    receiver = Receiver()
    auth = {"Authorization": f"Bearer {token}"}
    try:
        every = subscribe(server, token, receiver.url("every"), ALL_TYPES)
        receiver.expect("every", every["secret"])
        flaky = subscribe(server, token, receiver.url("flaky"), ["agreement.created"])
        receiver.expect("flaky", flaky["secret"], policy="flaky")

        # 1. Every committed write produces its events.
        expected = []  # (type, agreement id)
        for index in range(10):
            identifier = f"w{index}"
            status, headers, _ = server.request("POST", "/v1/agreements", agreement(identifier), auth)
            assert status == 201, status
            expected.append(("agreement.created", identifier))
            event = {"type": "signature", "date": "2019-12-01"}
            status, headers, _ = server.request("POST", f"/v1/agreements/{identifier}/events", {"events": [event]}, auth)
            assert status == 201, status
            expected.append(("events.appended", identifier))
            status, _, body = server.request("GET", f"/v1/agreements/{identifier}")
            document = json.loads(body)
            document["title"] = "Renamed"
            status, _, _ = server.request("PUT", f"/v1/agreements/{identifier}", document,
                                          {**auth, "If-Match": "*"})
            assert status == 200, status
            expected.append(("agreement.updated", identifier))
            if index % 2 == 0:
                status, _, _ = server.request("DELETE", f"/v1/agreements/{identifier}", None, {**auth, "If-Match": "*"})
                assert status == 204, status
                expected.append(("agreement.deleted", identifier))

        def arrived(name):
            return {(d["type"], d["data"].get("agreementId")) for d in receiver.received(name)}

        if wait_for(lambda: set(expected) <= arrived("every"), 30):
            ok(f"every committed write's event arrived, verified ({len(expected)} writes)")
        else:
            fail(f"missing events: {sorted(set(expected) - arrived('every'))[:10]}")
        # In order: the feed's order is the order of the writes.
        order = [(d["type"], d["data"].get("agreementId")) for d in receiver.received("every")
                 if d["type"] != "status.changed"]
        first_seen = []
        for item in order:
            if item not in first_seen:
                first_seen.append(item)
        if first_seen == expected:
            ok("events arrived in the order of the writes")
        else:
            fail("events arrived out of order")

        creates = [e for e in expected if e[0] == "agreement.created"]

        def retried():
            deliveries = receiver.received("flaky")
            ids = {d["id"] for d in deliveries}
            statuses = {i: [d["status"] for d in deliveries if d["id"] == i] for i in ids}
            return len(ids) == len(creates) and all(s[:1] == [500] and 200 in s for s in statuses.values())

        if wait_for(retried, 60):
            ok(f"a receiver answering 500 then 200 got the retry, same webhook-id ({len(creates)} events)")
        else:
            fail(f"retries: {[(d['id'], d['status']) for d in receiver.received('flaky')][:12]}")

        def listed_outcomes():
            status, _, body = server.request("GET", f"/v1/webhooks/{flaky['id']}/deliveries?limit=100", None, auth)
            return [item["outcome"] for item in json.loads(body)["items"]]

        # The receiver has answered before the server records the attempt: wait for the record of the last one.
        wait_for(lambda: listed_outcomes().count("delivered") == len(creates), 10)
        outcomes = listed_outcomes()
        if outcomes.count("retrying") == len(creates) and outcomes.count("delivered") == len(creates):
            ok("GET /v1/webhooks/{id}/deliveries lists each failed attempt and each delivery")
        else:
            fail(f"deliveries listed: {outcomes}")

        # 2. kill -9 during deliveries, repeated.
        acked = []
        for cycle in range(kills):
            stop = threading.Event()

            def write():
                serial = 0
                while not stop.is_set():
                    identifier = f"k{cycle}-{serial}"
                    serial += 1
                    try:
                        status, _, _ = server.request("POST", "/v1/agreements", agreement(identifier), auth, timeout=5)
                        if status == 201:
                            acked.append(identifier)
                    except OSError:
                        return

            writers = [threading.Thread(target=write) for _ in range(2)]
            for writer in writers:
                writer.start()
            time.sleep(random.uniform(0.4, 1.2))
            server.kill(signal.SIGKILL)
            server.wait()
            stop.set()
            for writer in writers:
                writer.join()
            server = Server(binary, database, log, env=env, port=server.port).start()
        ok(f"{kills} kill -9 cycles during writes and deliveries, {len(acked)} acknowledged creates")

        def delivered_creates():
            return {d["data"].get("agreementId") for d in receiver.received("every") if d["type"] == "agreement.created"}

        if wait_for(lambda: set(acked) <= delivered_creates(), 60):
            ok("every acknowledged write's event was delivered after the restarts")
        else:
            fail(f"{len(set(acked) - delivered_creates())} acknowledged creates never delivered")
        def undelivered():
            return committed_event_ids(database, database_url) - {d["id"] for d in receiver.received("every")}

        # Events the writes did not wait for (status changes, deadline alerts of the new agreements) are still on their
        # way: the server runs until they have arrived, or a minute.
        wait_for(lambda: not undelivered(), 60)
        server.kill(signal.SIGTERM)
        server.wait(timeout=20)

        # Every event committed, acknowledged or not, read from the database itself. The database was empty when
        # "every" subscribed to every type, so each of them is its business.
        committed = committed_event_ids(database, database_url)
        received_ids = {d["id"] for d in receiver.received("every")}
        missing = committed - received_ids
        if committed and not missing:
            ok(f"every committed event ({len(committed)}) was delivered at least once")
        else:
            fail(f"{len(missing)} of {len(committed)} committed events never delivered")
        duplicates = len(receiver.received("every")) - len(received_ids)
        ok(f"redelivered after a kill (at least once, deduplicate on webhook-id): {duplicates}")
        if receiver.unsigned:
            fail(f"{len(receiver.unsigned)} requests did not verify: {receiver.unsigned[:3]}")
        else:
            total = len(receiver.deliveries)
            ok(f"all {total} requests verified with the standardwebhooks reference library; none unsigned")
        with open(log, "rb") as handle:
            text = handle.read()
        for secret in (every["secret"], flaky["secret"], token):
            if secret.encode() in text:
                fail("a secret appears in the server log")
    finally:
        server.stop()
        receiver.close()
    backend = "PostgreSQL" if database_url else "SQLite"
    print(f"webhooks ({backend}, {time.monotonic() - started:.0f} s): "
          + ("all checks passed" if not failures else f"{len(failures)} failures"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 6, sys.argv[3] if len(sys.argv) > 3 else None))
