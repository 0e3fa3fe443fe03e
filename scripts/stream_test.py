"""The stream consumed by a real SSE client (sseclient-py): it reads while writes are made, disconnects in the
middle of them, reconnects with Last-Event-ID once they are done, and must have received every event exactly once,
with consecutive ids across the reconnect. Usage: stream_test.py BINARY. See scripts/stream-test.sh."""
import http.client
import json
import os
import sys
import tempfile
import threading
import time

import sseclient

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token  # noqa: E402

CREATES = 60
APPENDS = 20
READ_BEFORE_DISCONNECT = 25
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL", message)


def open_stream(port, last_event_id=None, types=None):
    """A stream connection and its sseclient; a read waits 30 s at most (heartbeats come every second here)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    connection.request("GET", "/v1/stream" + (f"?types={types}" if types else ""), headers=headers)
    response = connection.getresponse()
    check(response.status == 200, f"GET /v1/stream answered {response.status}")
    check(response.getheader("Content-Type", "").startswith("text/event-stream"), "the stream's content type")
    return connection, response, sseclient.SSEClient(response)


def writes(server, token, acknowledged):
    """Creates CREATES agreements, then appends an event to the first APPENDS, paced so the reader's
    disconnect falls in the middle; records what was acknowledged."""
    auth = {"Authorization": f"Bearer {token}"}
    for n in range(CREATES):
        status, _, _ = server.request("POST", "/v1/agreements", body=agreement(f"s{n:03}"), headers=auth)
        if status == 201:
            acknowledged["created"].add(f"s{n:03}")
        time.sleep(0.01)
    for n in range(APPENDS):
        event = {"type": "signature", "date": "2019-06-01"}
        status, _, body = server.request("POST", f"/v1/agreements/s{n:03}/events", body={"events": [event]}, headers=auth)
        if status == 201:
            acknowledged["appended"].add(f"s{n:03}")
        time.sleep(0.01)


def read(client, received, until):
    """Appends (id, type, payload) to `received` until `until(received)` holds."""
    for event in client.events():
        received.append((int(event.id), event.event, json.loads(event.data)))
        if until(received):
            return


def main(binary):
    with tempfile.TemporaryDirectory() as directory:
        database = os.path.join(directory, "pacta.sqlite")
        token = create_token(binary, database, "stream-test")
        server = Server(binary, database, os.path.join(directory, "server.log"), env={"PACTA_STREAM_HEARTBEAT": "1"})
        server.start()
        try:
            run(server, token)
        finally:
            server.stop()
            if failures:
                print("--- server log (last 30 lines)")
                with open(os.path.join(directory, "server.log"), errors="replace") as log:
                    print("".join(log.readlines()[-30:]))


def writes_seen(received):
    return sum(1 for _, kind, _ in received if kind in ("agreement.created", "events.appended"))


def run(server, token):
    started = time.monotonic()
    received = []
    connection, response, client = open_stream(server.port)
    acknowledged = {"created": set(), "appended": set()}
    writer = threading.Thread(target=writes, args=(server, token, acknowledged))
    writer.start()
    read(client, received, lambda r: writes_seen(r) >= READ_BEFORE_DISCONNECT)
    # An abrupt disconnect while the writes go on.
    response.close()
    connection.close()
    before_disconnect = len(received)
    writer.join()
    check(len(acknowledged["created"]) == CREATES and len(acknowledged["appended"]) == APPENDS,
          f"every write acknowledged ({len(acknowledged['created'])} creates, {len(acknowledged['appended'])} appends)")
    last_id = received[-1][0]
    connection, response, client = open_stream(server.port, last_event_id=last_id)
    read(client, received, lambda r: writes_seen(r) >= CREATES + APPENDS)
    response.close()
    connection.close()

    ids = [event_id for event_id, _, _ in received]
    check(ids == list(range(ids[0], ids[0] + len(ids))), f"ids are consecutive across the reconnect: {ids}")
    created = [p["data"]["agreementId"] for _, kind, p in received if kind == "agreement.created"]
    appended = [p["data"]["agreementId"] for _, kind, p in received if kind == "events.appended"]
    check(sorted(created) == sorted(acknowledged["created"]), "every acknowledged create streamed exactly once")
    check(sorted(appended) == sorted(acknowledged["appended"]), "every acknowledged append streamed exactly once")
    for _, kind, payload in received:
        check(payload.get("type") == kind and "timestamp" in payload and "links" in payload.get("data", {}),
              f"payload shape {payload}")
    print(f"ok: {len(received)} events ({before_disconnect} before the disconnect), ids {ids[0]}..{ids[-1]}, "
          f"{len(created)} creates and {len(appended)} appends each once")

    # The whole log again from the start, filtered by type.
    connection, response, client = open_stream(server.port, last_event_id=0, types="events.appended")
    only = []
    read(client, only, lambda r: len(r) >= APPENDS)
    response.close()
    connection.close()
    check([kind for _, kind, _ in only] == ["events.appended"] * APPENDS, "the type filter on a replay from 0")
    check(time.monotonic() - started < 120, "bounded in time")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/pacta")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("stream test passed")
