"""Webhooks over HTTPS end to end: a receiver on loopback serves HTTPS with a certificate that a throwaway CA made at
test time issued (see scripts/webhooks-https-test.sh), and verifies every delivery's signature.

1. Pacta without PACTA_WEBHOOKS_CA_FILE: the receiver's certificate is not trusted; each attempt is recorded with the
   error class `tls` and retried, the receiver's handshakes fail, and nothing is delivered.
2. The same database, Pacta restarted with PACTA_WEBHOOKS_CA_FILE=ca.pem: the events that failed are delivered,
   signed, and verified with the standardwebhooks reference library; a receiver whose certificate the same CA issued
   for another name is still refused (`tls`): trusting a CA never skips the host check.
3. Delivery latency, HTTPS against plain HTTP to the same kind of receiver, interleaved: each write's event goes to
   both; one write at a time, the next once both arrived. Once with receivers that keep connections (HTTP/1.1, the
   sender's connection and TLS session reused) and once with receivers that close each one (a handshake each time).

Usage: webhooks_https_test.py BINARY CERTS_DIR [SAMPLES]. CERTS_DIR holds ca.pem, server.pem, server.key,
wrong-host.pem, wrong-host.key and other-ca.pem. Exits 1 on any violation."""
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from pacta_harness import Server, agreement, create_token, fail, failures, ok  # noqa: E402
from webhooks_receiver import Receiver, subscribe, wait_for  # noqa: E402

def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def attempts(server, token, webhook_id):
    status, _, body = server.request("GET", f"/v1/webhooks/{webhook_id}/deliveries?limit=100", None,
                                     {"Authorization": f"Bearer {token}"})
    assert status == 200, status
    return json.loads(body)["items"]


def latency(server, auth, secure, plain, samples, prefix):
    """Milliseconds from each write's request to its event's arrival, at the HTTPS and at the HTTP receiver."""
    results = {"https": [], "http": []}
    for index in range(samples):
        identifier = f"{prefix}{index}"
        sent = time.time()
        status, _, _ = server.request("POST", "/v1/agreements", agreement(identifier), auth)
        assert status == 201, status

        def arrival(receiver):
            for delivery in receiver.received("latency"):
                if delivery["type"] == "agreement.created" and delivery["data"].get("agreementId") == identifier:
                    return delivery["receivedWall"]
            return None

        if not wait_for(lambda: arrival(secure) and arrival(plain), 20, interval=0.002):
            fail(f"{identifier}: not delivered to both receivers within 20 s")
            continue
        results["https"].append((arrival(secure) - sent) * 1000)
        results["http"].append((arrival(plain) - sent) * 1000)
    return results


def main(binary, certs, samples):
    work = tempfile.mkdtemp(prefix="pacta-webhooks-https-")
    database = os.path.join(work, "pacta.sqlite")
    log = os.path.join(work, "server.log")
    token = create_token(binary, database, "webhooks")
    auth = {"Authorization": f"Bearer {token}"}
    base = {"PACTA_WEBHOOKS_ALLOW_PRIVATE": "true", "PACTA_WEBHOOKS_FIRST_RETRY": "1", "PACTA_WEBHOOKS_TIMEOUT": "3"}
    tls = (os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
    secure = Receiver(tls=tls)
    server = Server(binary, database, log, env=base).start()
    receivers = [secure]
    try:
        # 1. Not trusted: the system's roots do not include the test CA.
        subscription = subscribe(server, token, secure.url("secure"), ["agreement.created"])
        secure.expect("secure", subscription["secret"])
        created = [f"t{index}" for index in range(3)]
        for identifier in created:
            status, _, _ = server.request("POST", "/v1/agreements", agreement(identifier), auth)
            assert status == 201, status
        wait_for(lambda: len(attempts(server, token, subscription["id"])) >= 3, 40)
        tried = attempts(server, token, subscription["id"])
        if len(tried) >= 3 and all(a["error"] == "tls" and a["outcome"] == "retrying" and a.get("statusCode") is None
                                   for a in tried):
            numbers = sorted(a["attempt"] for a in tried)
            ok(f"without the CA: {len(tried)} attempts recorded with error 'tls', outcome 'retrying' "
               f"(attempt numbers {numbers})")
        else:
            fail(f"without the CA, attempts: {[(a['attempt'], a['outcome'], a.get('error')) for a in tried]}")
        if not secure.received("secure") and not secure.unsigned and secure.tls_failures >= len(tried):
            ok(f"without the CA nothing reached the receiver ({secure.tls_failures} handshakes refused by Pacta)")
        else:
            fail(f"without the CA: {len(secure.received('secure'))} delivered, {secure.tls_failures} failed handshakes")
        status, _, body = server.request("GET", f"/v1/webhooks/{subscription['id']}", None, auth)
        state = json.loads(body)
        if state["enabled"] and state["failures"] >= 1:
            ok(f"the subscription stays enabled and counts its failures ({state['failures']}); retried, not dropped")
        else:
            fail(f"subscription state: {state}")
        server.stop()

        # A CA file that is not the receiver's does not help either (and is still no reason to skip verification).
        server = Server(binary, database, log, env={**base, "PACTA_WEBHOOKS_CA_FILE": os.path.join(certs, "other-ca.pem")})
        server.start()
        before = len(attempts(server, token, subscription["id"]))
        wait_for(lambda: len(attempts(server, token, subscription["id"])) > before, 40)
        listed = attempts(server, token, subscription["id"])  # newest first
        newer = listed[: len(listed) - before]
        if newer and all(a["error"] == "tls" for a in newer) and not secure.received("secure"):
            ok(f"with another CA's file: still 'tls' ({len(newer)} more attempts), nothing delivered")
        else:
            fail(f"with another CA's file: {[(a['outcome'], a.get('error')) for a in newer]}")
        server.stop()

        # 2. Trusted: the test CA added to the system's roots.
        env = {**base, "PACTA_WEBHOOKS_CA_FILE": os.path.join(certs, "ca.pem")}
        server = Server(binary, database, log, env=env).start()
        wrong_host = Receiver(tls=(os.path.join(certs, "wrong-host.pem"), os.path.join(certs, "wrong-host.key")))
        receivers.append(wrong_host)
        misnamed = subscribe(server, token, wrong_host.url("misnamed"), ["agreement.created"])
        wrong_host.expect("misnamed", misnamed["secret"])
        status, _, _ = server.request("POST", "/v1/agreements", agreement("t-misnamed"), auth)
        assert status == 201, status
        created.append("t-misnamed")

        def delivered():
            return {d["data"].get("agreementId") for d in secure.received("secure")}

        if wait_for(lambda: set(created) <= delivered(), 40):
            ok(f"with PACTA_WEBHOOKS_CA_FILE the events that had failed were delivered over HTTPS ({len(created)})")
        else:
            fail(f"with the CA: delivered {sorted(delivered())} of {created}")
        wait_for(lambda: len(attempts(server, token, misnamed["id"])) >= 2, 30)
        refused = attempts(server, token, misnamed["id"])
        if len(refused) >= 2 and all(a["error"] == "tls" for a in refused) and not wrong_host.received("misnamed"):
            ok(f"a certificate of the trusted CA for another name: {len(refused)} attempts 'tls', nothing delivered")
        else:
            fail(f"wrong host name: {[(a['outcome'], a.get('error')) for a in refused]}, "
                 f"{len(wrong_host.received('misnamed'))} delivered")
        outcomes = [a["outcome"] for a in attempts(server, token, subscription["id"])]
        if outcomes.count("delivered") == len(created):
            ok("GET /v1/webhooks/{id}/deliveries lists the TLS failures, then each delivery")
        else:
            fail(f"outcomes after the CA: {outcomes}")
        if secure.unsigned:
            fail(f"{len(secure.unsigned)} HTTPS requests did not verify: {secure.unsigned[:3]}")
        else:
            ok(f"all {len(secure.deliveries)} HTTPS requests verified with the standardwebhooks reference library")
        with open(log, "rb") as handle:
            text = handle.read()
        if b"trust extra CA certificates" in text:
            ok("the server logged that it trusts the extra CA file")
        else:
            fail("no startup line about the CA file in the log")

        # 3. Latency, HTTPS against HTTP, interleaved (each write's event goes to both).
        figures = {}
        for keep_alive in (True, False):
            mode = "keep-alive" if keep_alive else "a connection per delivery"
            secure_latency = Receiver(tls=tls, keep_alive=keep_alive)
            plain_latency = Receiver(keep_alive=keep_alive)
            receivers += [secure_latency, plain_latency]
            made_ids = []
            for receiver in (secure_latency, plain_latency):
                made = subscribe(server, token, receiver.url("latency"), ["agreement.created"])
                receiver.expect("latency", made["secret"])
                made_ids.append(made["id"])
            results = latency(server, auth, secure_latency, plain_latency, samples, "k" if keep_alive else "c")
            for scheme, values in results.items():
                if values:
                    figures[f"{scheme}, {mode}"] = values
                    print(f"     {scheme:5} {mode:26} n={len(values)} p50={statistics.median(values):.1f} ms "
                          f"p99={percentile(values, 99):.1f} ms max={max(values):.1f} ms", flush=True)
            if secure_latency.unsigned or plain_latency.unsigned:
                fail("a latency delivery did not verify")
            for made_id in made_ids:
                status, _, _ = server.request("DELETE", f"/v1/webhooks/{made_id}", None, auth)
                assert status == 204, status
        if len(figures) == 4:
            ok("latency measured (write request to arrival, one write at a time): "
               + "; ".join(f"{k} p50 {statistics.median(v):.1f} / p99 {percentile(v, 99):.1f} ms"
                           for k, v in figures.items()))
    finally:
        server.stop()
        for receiver in receivers:
            receiver.close()
    print("webhooks over HTTPS: all checks passed" if not failures else f"webhooks over HTTPS: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40))
