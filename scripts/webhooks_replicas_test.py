"""Webhooks from two `pacta serve` replicas (A and B) on one PostgreSQL database, both delivering and both running the
deadline-alert scheduler, to a receiver on loopback that verifies every signature (standardwebhooks):

1. Writes through both replicas at once, no kill: every committed event is delivered at least once, and no event is
   delivered twice (the deliverers' leases let one replica deliver each subscription at a time): duplicates are
   counted at the receiver and in the recorded attempts.
2. Deadline alerts with the clock injected (PACTA_TODAY, the same on both): a bundled agreement's item T is found
   through /v1/deadlines; both replicas run with today = T - 31 days, then both are restarted together with
   T - 30: `deadline.approaching` at lead 30 for T is recorded once and delivered under one webhook-id, and so is
   every other alert of that day.
3. kill -9 of replica A during writes through both, CYCLES times, A restarted each time: every committed event is
   delivered at least once (the killed replica's lease runs out and B, or the restarted A, takes over); the
   redeliveries a kill causes are counted and reported (at least once allows them).

Usage: webhooks_replicas_test.py BINARY DATABASE_URL [CYCLES]. The database must be empty. Exits 1 on any violation."""
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, fail, failures, ok  # noqa: E402
from webhooks_receiver import ALL_TYPES, Receiver, subscribe, wait_for  # noqa: E402

class Database:
    def __init__(self, url):
        self.url = url

    def rows(self, sql):
        out = subprocess.run(["psql", self.url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return [line for line in out.splitlines() if line]

    def head(self):
        return int(self.rows("SELECT feed_sequence FROM pacta_meta")[0])

    def events_after(self, sequence):
        """id -> (type, data) of every feed event after `sequence`."""
        rows = self.rows("SELECT json_build_array(id, type, data) FROM pacta_feed_events "
                         f"WHERE sequence > {int(sequence)}")
        return {row[0]: (row[1], json.loads(row[2])) for row in map(json.loads, rows)}

    def delivered_twice(self):
        """Events whose delivery was recorded more than once (attempts with the outcome `delivered`)."""
        return self.rows("SELECT event_id FROM pacta_webhook_attempts WHERE outcome = 'delivered' "
                         "GROUP BY webhook_id, event_id HAVING count(*) > 1")


def start_together(servers):
    """Starts the servers at the same moment (their first deadline scans race) and waits until all are ready."""
    errors = []

    def start(server):
        try:
            server.start(timeout=60)
        except Exception as error:  # reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"a replica did not start: {errors}")


def stop_gracefully(servers):
    for server in servers:
        server.kill(signal.SIGTERM)
    for server in servers:
        server.wait(timeout=30)


def alert_key(data):
    item = data.get("item", {})
    return (data.get("agreementId"), item.get("kind"), item.get("party"), item.get("date"), data.get("leadDays"))


def main(binary, database_url, cycles):
    random.seed(20261207)
    started = time.monotonic()
    database = Database(database_url)
    work = tempfile.mkdtemp(prefix="pacta-webhooks-replicas-")
    token = subprocess.check_output([binary, "token", "create", "replicas", "--database-url", database_url],
                                    text=True).strip()
    auth = {"Authorization": f"Bearer {token}"}
    base = {"PACTA_DATABASE_URL": database_url, "PACTA_SEED": "true", "PACTA_WEBHOOKS_ALLOW_PRIVATE": "true",
            "PACTA_WEBHOOKS_FIRST_RETRY": "1", "PACTA_WEBHOOKS_TIMEOUT": "3", "PACTA_FOLLOW_INTERVAL": "1"}

    def replica(name, today, port=None):
        return Server(binary, os.path.join(work, "unused.sqlite"), os.path.join(work, f"{name}.log"),
                      env={**base, "PACTA_TODAY": today}, port=port)

    receiver = Receiver()
    servers = []
    try:
        # Discovery: the first start seeds the bundled agreements; pick a deadline item of theirs a year ahead.
        a = replica("a", "2030-01-01").start(timeout=60)
        servers = [a]
        status, _, body = a.request("GET", "/v1/deadlines?from=2031-01-01&to=2031-12-31&limit=50")
        assert status == 200, (status, body[:300])
        items = json.loads(body)["items"]
        assert items, "no bundled deadline in 2031"
        target = items[0]
        due = datetime.date.fromisoformat(target["date"])
        day_before = (due - datetime.timedelta(days=31)).isoformat()
        crossing = (due - datetime.timedelta(days=30)).isoformat()
        print(f"     item: {target['agreementId']} {target['kind']} on {target['date']}; today {day_before}, "
              f"then {crossing}", flush=True)
        stop_gracefully([a])

        a = replica("a", day_before, port=a.port)
        b = replica("b", day_before)
        servers = [a, b]
        start_together(servers)
        every = subscribe(a, token, receiver.url("every"), ALL_TYPES)
        receiver.expect("every", every["secret"])
        # Every event after this point is the subscription's business (those between its cursor and here are too,
        # and are delivered, but not required).
        after = database.head()

        # 1. Writes through both replicas, no kill.
        acked = []

        def write(server, prefix, until):
            serial = 0
            while time.monotonic() < until:
                identifier = f"{prefix}-{serial}"
                serial += 1
                status, _, _ = server.request("POST", "/v1/agreements", agreement(identifier), auth)
                if status == 201:
                    acked.append(identifier)
                    event = {"type": "signature", "date": "2019-12-01"}
                    status, _, _ = server.request("POST", f"/v1/agreements/{identifier}/events", {"events": [event]},
                                                  auth)

        until = time.monotonic() + 8
        writers = [threading.Thread(target=write, args=(server, f"{name}{index}", until))
                   for name, server in (("a", a), ("b", b)) for index in range(2)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()

        def missing(since):
            return set(database.events_after(since)) - {d["id"] for d in receiver.received("every")}

        delivered_all = wait_for(lambda: not missing(after), 90, interval=0.2)
        committed = database.events_after(after)
        received = receiver.received("every")
        duplicates = len(received) - len({d["id"] for d in received})
        if delivered_all and committed:
            ok(f"two replicas, no kill: every committed event ({len(committed)}, {len(acked)} acknowledged creates "
               f"through both) delivered")
        else:
            fail(f"two replicas, no kill: {len(missing(after))} of {len(committed)} committed events never delivered")
        twice = database.delivered_twice()
        if duplicates == 0 and not twice:
            ok(f"two replicas, no kill: no event delivered twice ({len(received)} deliveries, "
               f"0 duplicates at the receiver, 0 recorded twice)")
        else:
            fail(f"two replicas, no kill: {duplicates} duplicate deliveries at the receiver, {len(twice)} events "
                 f"recorded as delivered twice: {twice[:5]}")

        # 2. The clock crosses the item's 30-day lead on both replicas at once.
        stop_gracefully(servers)
        before_crossing = database.head()
        a = replica("a", crossing, port=a.port)
        b = replica("b", crossing, port=b.port)
        servers = [a, b]
        start_together(servers)

        def alerts_of_the_day():
            return {event_id: (kind, data) for event_id, (kind, data) in database.events_after(before_crossing).items()
                    if kind.startswith("deadline.") and data.get("asOf") == crossing}

        target_key = (target["agreementId"], target["kind"], target.get("party"), target["date"], 30)

        def target_alerts():
            return [i for i, (kind, data) in alerts_of_the_day().items()
                    if kind == "deadline.approaching" and alert_key(data) == target_key]

        if not wait_for(lambda: target_alerts() and set(alerts_of_the_day()) <= {d["id"] for d in receiver.received("every")},
                        60, interval=0.2):
            fail(f"the 30-day alert for {target_key} was not recorded and delivered within 60 s")
        time.sleep(3)  # a second scan or a late duplicate would show by now (the scan runs at start)
        recorded = target_alerts()
        arrived = [d for d in receiver.received("every") if d["id"] in recorded]
        if len(recorded) == 1 and len({d["id"] for d in arrived}) == 1:
            ok(f"deadline.approaching (30 days) for {target['agreementId']} {target['kind']} {target['date']}: "
               f"recorded once by two replicas crossing {crossing}, delivered under one webhook-id "
               f"({len(arrived)} deliveries)")
        else:
            fail(f"the 30-day alert: {len(recorded)} recorded, {len(arrived)} deliveries")
        day = alerts_of_the_day()
        keys = [(kind, alert_key(data)) for kind, data in day.values()]
        delivered_keys = {}
        for delivery in receiver.received("every"):
            if delivery["id"] in day:
                delivered_keys.setdefault((delivery["type"], alert_key(delivery["data"])), set()).add(delivery["id"])
        if keys and len(keys) == len(set(keys)) and all(len(ids) == 1 for ids in delivered_keys.values()) \
                and len(delivered_keys) == len(set(keys)):
            ok(f"every alert of {crossing} ({len(keys)}) recorded once and delivered under one webhook-id")
        else:
            fail(f"alerts of {crossing}: {len(keys)} recorded, {len(set(keys))} distinct, "
                 f"{sum(len(ids) for ids in delivered_keys.values())} delivered ids for {len(delivered_keys)} items")

        # 3. kill -9 of A during writes through both.
        before_kills = len(receiver.received("every"))
        kill_acked = []
        for cycle in range(cycles):
            stop = threading.Event()

            def write_until_stopped(server, prefix):
                serial = 0
                while not stop.is_set():
                    identifier = f"{prefix}-{serial}"
                    serial += 1
                    try:
                        status, _, _ = server.request("POST", "/v1/agreements", agreement(identifier), auth, timeout=5)
                        if status == 201:
                            kill_acked.append(identifier)
                    except OSError:
                        if server is a:
                            return

            writers = [threading.Thread(target=write_until_stopped, args=(server, f"x{cycle}{name}"))
                       for name, server in (("a", a), ("b", b))]
            for writer in writers:
                writer.start()
            time.sleep(random.uniform(0.5, 1.5))
            a.kill(signal.SIGKILL)
            a.wait()
            stop.set()
            for writer in writers:
                writer.join()
            a = replica("a", crossing, port=a.port).start(timeout=60)
            servers = [a, b]
        delivered_after_kills = wait_for(lambda: not missing(after), 120, interval=0.2)
        committed = database.events_after(after)
        if delivered_after_kills:
            ok(f"{cycles} kill -9 of a replica during writes and deliveries: every committed event ({len(committed)}; "
               f"{len(kill_acked)} acknowledged creates meanwhile) delivered at least once")
        else:
            fail(f"after the kills: {len(missing(after))} of {len(committed)} committed events never delivered")
        received = receiver.received("every")[before_kills:]
        redelivered = len(received) - len({d["id"] for d in received})
        ok(f"redelivered across the kills (at least once; receivers deduplicate on webhook-id): {redelivered} of "
           f"{len(received)} deliveries")
        if receiver.unsigned:
            fail(f"{len(receiver.unsigned)} requests did not verify: {receiver.unsigned[:3]}")
        else:
            ok(f"all {len(receiver.deliveries)} requests verified with the standardwebhooks reference library")
    finally:
        for server in servers:
            server.stop()
        receiver.close()
    print(f"webhooks with two replicas ({time.monotonic() - started:.0f} s): "
          + ("all checks passed" if not failures else f"{len(failures)} failures"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3))
