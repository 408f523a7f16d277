#!/usr/bin/env python3
"""Soak test: a bounded mixed load against a real httpsh, with slow clients and live commands.

Starts the release binary with its shell on a pipe, then for SOAK_SECONDS (default 300) runs:
  - client threads mixing GET, HEAD, Range, JSON uploads, 404s and path-traversal attempts on keep-alive
    connections, checking every status against what that request must get;
  - slowloris threads holding many connections that send a header byte every few seconds;
  - an operator thread sending live commands (workers up and down, rate limit on and off, listing off and on,
    counters, status) through the shell's standard input.
Every 10 s it samples the server's RSS and open file descriptors. At the end it shuts the server down through
the shell and prints a report; the exit status is 1 if any well-formed request failed or resources grew without
bound. Only 127.0.0.1 is contacted.
"""
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build", "release", "httpsh")
DURATION = float(os.environ.get("SOAK_SECONDS", "300"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))
SLOW_CLIENTS = int(os.environ.get("SOAK_SLOW_CLIENTS", "200"))
PORT = int(os.environ.get("SOAK_PORT", "18181"))


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.failures = []

    def add(self, kind, ok, detail=""):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if not ok and len(self.failures) < 50:
                self.failures.append(f"{kind}: {detail}")
            if not ok:
                self.counts["FAILED"] = self.counts.get("FAILED", 0) + 1


def make_site(base):
    site = os.path.join(base, "site")
    os.makedirs(os.path.join(site, "dir"))
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<h1>soak</h1>\n")
    with open(os.path.join(site, "big.bin"), "wb") as f:
        f.write(os.urandom(256 * 1024))
    for i in range(50):
        with open(os.path.join(site, "dir", f"f{i}.txt"), "w") as f:
            f.write("x" * (i * 10 + 1))
    uploads = os.path.join(base, "uploads")
    os.makedirs(uploads)
    return site, uploads


def client_loop(deadline, tally, stop):
    rng = random.Random()
    conn = None
    while time.time() < deadline and not stop.is_set():
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        kind = rng.choice(["get", "get", "head", "range", "upload", "missing", "traversal", "listing"])
        try:
            if kind == "get":
                conn.request("GET", "/index.html")
                r = conn.getresponse(); body = r.read()
                tally.add(kind, r.status == 200 and body == b"<h1>soak</h1>\n", f"{r.status}")
            elif kind == "head":
                conn.request("HEAD", "/big.bin")
                r = conn.getresponse(); r.read()
                tally.add(kind, r.status == 200 and r.getheader("Content-Length") == str(256 * 1024), f"{r.status}")
            elif kind == "range":
                start = rng.randrange(0, 256 * 1024 - 100)
                conn.request("GET", "/big.bin", headers={"Range": f"bytes={start}-{start + 99}"})
                r = conn.getresponse(); body = r.read()
                tally.add(kind, r.status == 206 and len(body) == 100, f"{r.status} {len(body)}")
            elif kind == "upload":
                payload = json.dumps({"n": rng.random(), "pad": "y" * rng.randrange(0, 5000)})
                conn.request("POST", "/upload", body=payload, headers={"Content-Type": "application/json"})
                r = conn.getresponse(); r.read()
                tally.add(kind, r.status == 201, f"{r.status}")
            elif kind == "missing":
                conn.request("GET", f"/nope-{rng.randrange(1000)}")
                r = conn.getresponse(); r.read()
                tally.add(kind, r.status == 404, f"{r.status}")
            elif kind == "traversal":
                path = rng.choice(["/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/dir/..%2f..%2fetc/passwd",
                                   "/.hidden", "/dir/%00x"])
                conn.request("GET", path)
                r = conn.getresponse(); body = r.read()
                tally.add(kind, r.status in (400, 403, 404) and b"root:" not in body, f"{path} {r.status}")
            elif kind == "listing":
                conn.request("GET", "/dir/")
                r = conn.getresponse(); body = r.read()
                # The operator turns listing off now and then: 403 is correct then.
                tally.add(kind, (r.status == 200 and b"f49.txt" in body) or r.status == 403, f"{r.status}")
            if r.getheader("Connection", "").lower() == "close":
                conn.close(); conn = None
        except (OSError, http.client.HTTPException) as error:
            # A keep-alive connection the server closed at its idle or request limit is retried on a new one.
            if isinstance(error, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                tally.add("reconnect", True)
            else:
                tally.add(kind, False, repr(error))
            if conn:
                conn.close()
            conn = None
    if conn:
        conn.close()


def slowloris(deadline, tally, stop):
    sockets = []
    for _ in range(SLOW_CLIENTS // 4):
        try:
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
            sockets.append(s)
        except OSError:
            tally.add("slowloris-connect", True)
    while time.time() < deadline and not stop.is_set():
        for s in list(sockets):
            try:
                s.sendall(b"X-a: b\r\n")
            except OSError:
                sockets.remove(s)
                tally.add("slowloris-cut", True)  # the server's header timeout at work
        time.sleep(3)
    for s in sockets:
        s.close()


def operator(shell, deadline, tally, stop):
    commands = ["workers 8", "status", "ratelimit 100000/1", "workers 2", "dirlisting off", "counters top 3",
                "dirlisting on", "ratelimit off", "workers 4", "stats", "top 3", "uploads"]
    i = 0
    while time.time() < deadline and not stop.is_set():
        shell.stdin.write(commands[i % len(commands)] + "\n")
        shell.stdin.flush()
        tally.add("command", True)
        i += 1
        time.sleep(2)


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def main():
    if not os.path.exists(BINARY):
        sys.exit(f"build first: {BINARY} is missing (make build)")
    base = tempfile.mkdtemp(prefix="httpsh-soak-")
    site, uploads = make_site(base)
    shell = subprocess.Popen([BINARY, "--port", str(PORT), "--root", site, "--uploads", uploads,
                              "--access-log", "off", "--log-level", "warning", "--header-timeout", "5",
                              "--max-requests", "1000",
                              # every client here is 127.0.0.1: the per-client cap would refuse the load itself
                              "--max-connections-per-ip", "off"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    threading.Thread(target=lambda: output.extend(shell.stdout), daemon=True).start()
    time.sleep(1)
    tally, stop = Tally(), threading.Event()
    deadline = time.time() + DURATION
    threads = [threading.Thread(target=client_loop, args=(deadline, tally, stop)) for _ in range(CLIENTS)]
    threads += [threading.Thread(target=slowloris, args=(deadline, tally, stop)) for _ in range(4)]
    threads.append(threading.Thread(target=operator, args=(shell, deadline, tally, stop)))
    for t in threads:
        t.start()
    samples = []
    started = time.time()
    while time.time() < deadline:
        samples.append((round(time.time() - started), *sample(shell.pid)))
        time.sleep(min(10, max(0.1, deadline - time.time())))
    stop.set()
    for t in threads:
        t.join()
    samples.append((round(time.time() - started), *sample(shell.pid)))
    shell.stdin.write("shutdown\n")
    shell.stdin.close()
    status = shell.wait(timeout=30)
    stored = len(os.listdir(uploads))
    shutil.rmtree(base, ignore_errors=True)

    print(f"# httpsh soak: {DURATION:.0f} s, {CLIENTS} clients, {SLOW_CLIENTS // 4 * 4} slow clients\n")
    print("| what | count |\n| --- | --- |")
    for kind, count in sorted(tally.counts.items()):
        print(f"| {kind} | {count} |")
    print("\n| second | RSS (KiB) | open fds |\n| --- | --- | --- |")
    for second, rss, fds in samples:
        print(f"| {second} | {rss} | {fds} |")
    print(f"\nuploads stored: {stored}; shell exit status: {status}")
    for failure in tally.failures:
        print("FAILURE", failure)
    growth = samples[-1][1] / max(1, samples[len(samples) // 2][1])
    failed = tally.counts.get("FAILED", 0)
    print(f"\nwell-formed requests failed: {failed}; RSS last/middle: {growth:.2f}")
    sys.exit(1 if failed or status != 0 or growth > 1.5 else 0)


if __name__ == "__main__":
    main()
