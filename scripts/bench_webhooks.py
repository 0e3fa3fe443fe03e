"""Write throughput with 0, 1 and 10 webhook subscriptions, and delivery latency to a local receiver.
Usage: bench_webhooks.py BINARY [SECONDS (default 10)] [WRITERS (default 4)]. Loopback only; see BENCHMARKS.md."""
import json
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token  # noqa: E402
from webhooks_receiver import Receiver, subscribe, wait_for  # noqa: E402


def server_cpu_seconds(server):
    """User and system CPU time of the server process so far (Linux /proc)."""
    with open(f"/proc/{server.process.pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


PACED_RATE = 20  # writes per second: well below what the server writes, so the round trips are not queueing


def paced_latency(server, token, receiver, subscriptions, rate, seconds):
    """One writer at `rate` writes per second (below what the deliverer keeps up with): milliseconds from each
    write's request to its acknowledgement (what a writer feels of the deliveries), and from each acknowledgement to
    each delivery's arrival."""
    acked = {}
    round_trips = []
    connection = server.connection(timeout=30)
    deadline = time.monotonic() + seconds
    serial = 0
    while time.monotonic() < deadline:
        identifier = f"p-{serial}"
        serial += 1
        body = json.dumps(agreement(identifier)).encode()
        sent = time.monotonic()
        connection.request("POST", "/v1/agreements", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        acked[identifier] = time.monotonic()
        round_trips.append((acked[identifier] - sent) * 1000)
        time.sleep(1 / rate)
    connection.close()
    round_trips.sort()
    writes = {"pacedWritesPerSecond": rate, "pacedWriteMsP50": round(statistics.median(round_trips), 1),
              "pacedWriteMsP99": round(round_trips[max(0, int(len(round_trips) * 0.99) - 1)], 1)}
    if not subscriptions:
        return writes
    wait_for(lambda: len([d for d in receiver.deliveries if d["data"].get("agreementId") in acked])
             >= len(acked) * subscriptions, 60)
    latencies = sorted((d["received"] - acked[d["data"]["agreementId"]]) * 1000 for d in receiver.deliveries
                       if d["data"].get("agreementId") in acked)
    return {**writes, "pacedDeliveries": len(latencies),
            "pacedLatencyMsP50": round(statistics.median(latencies), 1),
            "pacedLatencyMsP99": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1)}


def run(binary, subscriptions, seconds, writers):
    work = tempfile.mkdtemp(prefix="pacta-bench-webhooks-")
    database = os.path.join(work, "pacta.sqlite")
    token = create_token(binary, database, "bench")
    server = Server(binary, database, os.path.join(work, "server.log"),
                    env={"PACTA_WEBHOOKS_ALLOW_PRIVATE": "true", "PACTA_LOG_LEVEL": "warning"}).start()
    receiver = Receiver()
    try:
        for index in range(subscriptions):
            created = subscribe(server, token, receiver.url(f"s{index}"), ["agreement.created"])
            receiver.expect(f"s{index}", created["secret"])
        acked = {}
        lock = threading.Lock()
        stop = threading.Event()

        def write(worker):
            connection = server.connection(timeout=30)
            serial = 0
            while not stop.is_set():
                identifier = f"b{worker}-{serial}"
                serial += 1
                body = json.dumps(agreement(identifier)).encode()
                connection.request("POST", "/v1/agreements", body=body, headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status == 201:
                    with lock:
                        acked[identifier] = time.monotonic()
            connection.close()

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        cpu_before, receiver_before = server_cpu_seconds(server), time.process_time()
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        result = {"subscriptions": subscriptions, "writes": len(acked), "writesPerSecond": round(len(acked) / elapsed, 1)}
        if subscriptions:
            expected = len(acked) * subscriptions
            drained = wait_for(lambda: len({(d["name"], d["id"]) for d in receiver.deliveries}) >= expected, 120)
        # CPU spent per write until every delivery was made: the server's, and this process's (writers and receiver).
        result["serverCpuMsPerWrite"] = round((server_cpu_seconds(server) - cpu_before) * 1000 / len(acked), 2)
        result["clientAndReceiverCpuMsPerWrite"] = round((time.process_time() - receiver_before) * 1000 / len(acked), 2)
        if subscriptions:
            latencies = []
            for delivery in receiver.deliveries:
                identifier = delivery["data"].get("agreementId")
                if identifier in acked:
                    latencies.append((delivery["received"] - acked[identifier]) * 1000)
            latencies.sort()
            result.update({
                "drained": drained, "deliveries": len(latencies),
                "latencyMsP50": round(statistics.median(latencies), 1),
                "latencyMsP99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
                "unsigned": len(receiver.unsigned),
            })
        result.update(paced_latency(server, token, receiver, subscriptions, PACED_RATE, seconds))
        return result
    finally:
        server.stop()
        receiver.close()


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    writers = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    for subscriptions in (0, 1, 10):
        print(json.dumps(run(binary, subscriptions, seconds, writers)), flush=True)


if __name__ == "__main__":
    main()
