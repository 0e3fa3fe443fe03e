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
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        result = {"subscriptions": subscriptions, "writes": len(acked), "writesPerSecond": len(acked) / elapsed}
        if subscriptions:
            expected = len(acked) * subscriptions
            drained = wait_for(lambda: len({(d["name"], d["id"]) for d in receiver.deliveries}) >= expected, 120)
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
