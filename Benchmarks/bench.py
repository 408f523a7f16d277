#!/usr/bin/env python3
"""httpsh against nginx and lighttpd, interleaved in one run on this machine.

Run through `make bench` (or `Benchmarks/bench.sh`), which installs wrk, nginx and lighttpd, builds httpsh in
release mode and calls this script with a fresh temporary folder. Python 3 standard library only.

Environment:
  QUICK=1          a roughly one-minute run: 2 s cells, one repetition, no 64 KiB cell
  DURATION=S       seconds per cell (default 8; QUICK 2)
  REPS=N           repetitions of every cell (default 3; QUICK 1)
  IDLE=N           idle keep-alive connections held in the idle cell (default 10000)
  PIN=0            do not pin servers and clients to separate CPUs
  HTTPSH_WORKERS=N pass --workers N to httpsh (default: httpsh's own default)
  ONLY=a,b         run only these servers (httpsh, httpsh-base, nginx-1w, nginx-auto, lighttpd)
  CELLS=a,b        run only these workloads (1k-50, 1k-400, 64k-50, 1m-20, close-50, list-50, idle-50)
  HTTPSH_BIN       the httpsh binary (default .build/release/httpsh)
  HTTPSH_BASELINE  another httpsh binary, measured as server `httpsh-base` in the same run (before/after)
"""

import contextlib
import datetime
import grp
import json
import os
import pwd
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------------------------- settings

@dataclass
class Settings:
    quick: bool
    duration: int
    reps: int
    idle_count: int
    idle_note: str
    server_cpu: str | None
    client_cpu: str | None
    httpsh_workers: str | None
    only: set[str] | None
    cells: set[str] | None
    httpsh_bin: Path
    baseline_bin: Path | None
    temp: Path

    @staticmethod
    def from_environment(temp):
        env = os.environ
        quick = env.get("QUICK", "0") not in ("", "0")
        # Two separate CPUs keep the load generator from stealing the server's core (and the reverse).
        pin = env.get("PIN", "1") != "0" and (os.cpu_count() or 1) >= 2
        only = env.get("ONLY")
        asked = int(env.get("IDLE", "10000"))
        idle_count, idle_note = asked, f"{asked:,} idle connections"
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        # lighttpd accepts at most half its descriptors as connections (the other half is for files), so under a
        # hard limit it cannot raise, the idle cell is sized to fit it, for every server alike.
        fitting = (hard - 2 * IDLE_CELL_MARGIN) // 2 if hard != resource.RLIM_INFINITY else asked
        if fitting < asked:
            idle_count = fitting
            idle_note = (f"{fitting:,} idle connections ({asked:,} asked; capped by the descriptor hard limit "
                         f"{hard:,}, as lighttpd accepts at most half its descriptors as connections)")
        return Settings(
            quick=quick,
            duration=int(env.get("DURATION", "2" if quick else "8")),
            reps=int(env.get("REPS", "1" if quick else "3")),
            idle_count=idle_count,
            idle_note=idle_note,
            server_cpu="0" if pin else None,
            client_cpu="1" if pin else None,
            httpsh_workers=env.get("HTTPSH_WORKERS") or None,
            only=set(only.split(",")) if only else None,
            cells=set(env["CELLS"].split(",")) if env.get("CELLS") else None,
            httpsh_bin=Path(env.get("HTTPSH_BIN", REPO / ".build/release/httpsh")),
            baseline_bin=Path(env["HTTPSH_BASELINE"]) if env.get("HTTPSH_BASELINE") else None,
            temp=Path(temp),
        )


# Connections besides the idle ones: the load (50) and the servers' own descriptors, with room to spare.
IDLE_CELL_MARGIN = 100


def pinned(cpu, command):
    return ["taskset", "-c", cpu, *command] if cpu is not None else command


# ----------------------------------------------------------------------------------------------- workloads

@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    path: str
    connections: int
    close: bool = False
    idle: bool = False


def workloads(settings):
    cells = [
        Workload("1k-50", "1 KiB, keep-alive, 50 conns", "/1k.html", 50),
        Workload("1k-400", "1 KiB, keep-alive, 400 conns", "/1k.html", 400),
        Workload("64k-50", "64 KiB, keep-alive, 50 conns", "/64k.bin", 50),
        Workload("1m-20", "1 MiB, keep-alive, 20 conns", "/1m.bin", 20),
        Workload("close-50", "1 KiB, Connection: close, 50 conns", "/1k.html", 50, close=True),
        Workload("list-50", "listing of 200 files, 50 conns", "/dir/", 50),
        Workload("idle-50", f"1 KiB, 50 conns + {settings.idle_count:,} idle", "/1k.html", 50, idle=True),
    ]
    if settings.quick:
        cells = [w for w in cells if w.key != "64k-50"]
    if settings.cells:
        cells = [w for w in cells if w.key in settings.cells]
    return cells


# ----------------------------------------------------------------------------------------------- fixture

def make_fixture(root):
    """A web root: 1 KiB, 64 KiB and 1 MiB files and a folder of 200 small files (no index.html)."""
    root.mkdir(parents=True)
    line = b"httpsh benchmark fixture: the quick brown fox jumps over the lazy dog 0123456789\n"
    (root / "1k.html").write_bytes((line * 13)[:1024])
    (root / "64k.bin").write_bytes(os.urandom(64 << 10))
    (root / "1m.bin").write_bytes(os.urandom(1 << 20))
    folder = root / "dir"
    folder.mkdir()
    for i in range(200):
        (folder / f"file-{i:03d}.txt").write_bytes(line * (1 + i % 7))


# ----------------------------------------------------------------------------------------------- servers

KEEPALIVE_IDLE_SECONDS = 30
# nginx's and lighttpd's default; httpsh is given the same so no server reconnects more often than another.
KEEPALIVE_REQUESTS = 1000


@dataclass
class Server:
    name: str
    port: int
    command: list
    description: str
    process: subprocess.Popen | None = None
    log: Path | None = None

    def start(self, settings):
        self.log = settings.temp / f"{self.name}.out"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(pinned(settings.server_cpu, self.command), stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        # bench.sh's EXIT trap kills whatever is listed here, should this script die before its own cleanup.
        with open(settings.temp / "pids", "a") as pids:
            pids.write(f"{self.process.pid}\n")
        self.wait_until_serving()

    def wait_until_serving(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url("/1k.html"), timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer on port {self.port}:\n{self.log.read_text()[-2000:]}")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def pids(self):
        """The server's process and its children (nginx's workers)."""
        return [self.process.pid, *children_of(self.process.pid)]

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        family = self.pids()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def httpsh_server(settings, root, port, name="httpsh", binary=None):
    flags = ["--host", "127.0.0.1", "--port", str(port), "--root", str(root),
             "--uploads", str(settings.temp / "uploads"), "--no-shell",
             "--access-log", "off", "--log-level", "warning", "--dir-listing", "on",
             "--idle-timeout", str(KEEPALIVE_IDLE_SECONDS), "--max-requests", str(KEEPALIVE_REQUESTS),
             "--max-connections", "20000"]
    if settings.httpsh_workers:
        flags += ["--workers", settings.httpsh_workers]
    binary = binary or settings.httpsh_bin
    # Every load comes from one address here (10,000 idle connections among them), as nginx and lighttpd take it
    # by default; an older baseline binary may not know the per-client cap.
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout
    if "--max-connections-per-ip" in usage:
        flags += ["--max-connections-per-ip", "off"]
    (settings.temp / "uploads").mkdir(exist_ok=True)
    shown = " ".join(flags).replace(str(settings.temp), "TMP").replace(f"--port {port}", "--port PORT")
    return Server(name, port, [str(binary), *flags], f"`{binary.name} {shown}`")


def nginx_server(settings, root, port, workers):
    name = f"nginx-{'auto' if workers == 'auto' else workers + 'w'}"
    prefix = settings.temp / name
    prefix.mkdir()
    # As root the master would hand its workers to `nobody`, who cannot read the temporary web root.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
{user}
worker_processes {workers};
worker_rlimit_nofile 40000;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 20000;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout {KEEPALIVE_IDLE_SECONDS}s;
    keepalive_requests {KEEPALIVE_REQUESTS};
    types {{ text/html html; text/plain txt; }}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        autoindex on;
    }}
}}
""")
    command = ["nginx", "-p", f"{prefix}/", "-e", f"{prefix}/error.log", "-c", str(conf), "-g", "daemon off;"]
    return Server(name, port, command, f"nginx, `worker_processes {workers}`, autoindex on")


def lighttpd_server(settings, root, port):
    folder = settings.temp / "lighttpd"
    folder.mkdir()
    conf = folder / "lighttpd.conf"
    conf.write_text(f"""
server.modules = ("mod_dirlisting")
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{folder}/error.log"
server.network-backend = "sendfile"
server.max-fds = 40000
server.max-connections = 20000
server.max-keep-alive-idle = {KEEPALIVE_IDLE_SECONDS}
server.max-keep-alive-requests = {KEEPALIVE_REQUESTS}
index-file.names = ("index.html")
dir-listing.activate = "enable"
mimetype.assign = (".html" => "text/html", ".txt" => "text/plain", "" => "application/octet-stream")
""")
    return Server("lighttpd", port, ["lighttpd", "-D", "-f", str(conf)],
                  "lighttpd, one process, mod_dirlisting on")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_servers(settings, root):
    servers = [
        httpsh_server(settings, root, free_port()),
        nginx_server(settings, root, free_port(), "1"),
        nginx_server(settings, root, free_port(), "auto"),
        lighttpd_server(settings, root, free_port()),
    ]
    if settings.baseline_bin:
        servers.insert(1, httpsh_server(settings, root, free_port(), "httpsh-base", settings.baseline_bin))
    return [s for s in servers if settings.only is None or s.name in settings.only]


# ----------------------------------------------------------------------------------------------- /proc

def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def children_of(parent):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(stat_fields(entry)[1]) == parent:
                    children.append(int(entry))
    return children


def cpu_seconds(pids):
    """User + system CPU time of the processes (all their threads), in seconds."""
    user, system = cpu_split(pids)
    return user + system


def cpu_split(pids):
    """User and system CPU time of the processes (all their threads), in seconds."""
    user = system = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = stat_fields(pid)
            user += int(fields[11])  # utime
            system += int(fields[12])  # stime
    return user / CLOCK_TICKS, system / CLOCK_TICKS


def memory_kib(pids, key):
    """A /proc/PID/status memory line (VmHWM = peak RSS, VmRSS = now) summed over the processes."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
    return total


def settle(server, quiet_seconds=0.3, limit_seconds=5.0):
    """Waits until the server has used no CPU for a moment, so one cell's aftermath is not billed to the next."""
    deadline = time.monotonic() + limit_seconds
    before = cpu_seconds(server.pids())
    while time.monotonic() < deadline:
        time.sleep(quiet_seconds)
        now = cpu_seconds(server.pids())
        if now - before <= 1 / CLOCK_TICKS:
            return
        before = now


# ----------------------------------------------------------------------------------------------- load

def run_wrk(settings, url, connections, duration, close=False):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "--latency",
               "-s", str(HERE / "wrk_report.lua")]
    if close:
        command += ["-H", "Connection: close"]
    # wrk is a child of this script: its CPU time is what the children's usage grows by while it runs.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(pinned(settings.client_cpu, [*command, url]), capture_output=True, text=True,
                            timeout=duration + 60).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            result = json.loads(line[len("WRK_JSON "):])
            result["client_cpu_s"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            return result
    raise RuntimeError(f"wrk printed no summary:\n{output}")


@contextlib.contextmanager
def idle_connections(settings, server, count):
    """Holds `count` idle keep-alive connections to the server; yields a dict filled with `ready` and `alive`."""
    command = [sys.executable, str(HERE / "idle_connections.py"), "--port", str(server.port),
               "--path", "/1k.html", "--count", str(count)]
    helper = subprocess.Popen(pinned(settings.client_cpu, command), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    counts = {}
    try:
        ready = helper.stdout.readline().split()
        counts["ready"] = int(ready[1]) if len(ready) == 2 and ready[0] == "ready" else 0
        yield counts
        helper.stdin.close()
        alive = helper.stdout.readline().split()
        counts["alive"] = int(alive[1]) if len(alive) == 2 and alive[0] == "alive" else 0
        helper.wait(timeout=60)
    finally:
        if helper.poll() is None:
            helper.kill()
            helper.wait()


def measure(settings, server, workload):
    """One cell: the workload's load against one server, with the server's CPU time around it."""
    with contextlib.ExitStack() as stack:
        extra = {}
        if workload.idle:
            counts = stack.enter_context(idle_connections(settings, server, settings.idle_count))
        pids = server.pids()
        user_before, system_before = cpu_split(pids)
        result = run_wrk(settings, server.url(workload.path), workload.connections, settings.duration,
                         workload.close)
        user_after, system_after = cpu_split(pids)
        if workload.idle:
            extra["idle_rss_kib"] = memory_kib(pids, "VmRSS")
    if workload.idle:
        extra.update(idle_ready=counts["ready"], idle_alive=counts.get("alive", 0))
    settle(server)
    seconds = result["duration_us"] / 1e6
    requests = result["requests"]
    user = user_after - user_before
    cpu = user + system_after - system_before
    return {
        "rps": requests / seconds,
        "mbps": result["bytes"] / seconds / 1e6,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "errors": {k: result[k] for k in ("connect", "read", "write", "timeout", "status")},
        "cpu_us_per_req": cpu * 1e6 / requests if requests else float("nan"),
        "user_us_per_req": user * 1e6 / requests if requests else float("nan"),
        "client_us_per_req": result["client_cpu_s"] * 1e6 / requests if requests else float("nan"),
        "cpu_share": cpu / seconds,
        **extra,
    }


# ----------------------------------------------------------------------------------------------- report

def fmt_number(value, digits=0):
    return f"{value:,.{digits}f}"


def spread(values, digits=0, scale=1.0):
    """`median (min–max)`, or just the value when there is one."""
    values = [v * scale for v in values]
    text = fmt_number(statistics.median(values), digits)
    if len(values) > 1:
        text += f" ({fmt_number(min(values), digits)}–{fmt_number(max(values), digits)})"
    return text


def error_text(runs):
    totals = {}
    for run in runs:
        for kind, count in run["errors"].items():
            totals[kind] = totals.get(kind, 0) + count
    total = sum(totals.values())
    if total == 0:
        return "0"
    names = {"status": "non-2xx/3xx"}
    return f"{total:,} (" + ", ".join(f"{names.get(k, k)} {v:,}" for k, v in totals.items() if v) + ")"


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_header(settings, servers, started, started_load):
    def version(command, start, end):
        """The version part of a tool's banner: the text after `start` up to `end`."""
        result = subprocess.run(command, capture_output=True, text=True)
        banner = (result.stdout + result.stderr).strip().splitlines()[0]
        return banner.split(start, 1)[-1].split(end, 1)[0]

    cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                     "unknown")
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in open("/etc/os-release")
                    if line.startswith("PRETTY_NAME")), "unknown")
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    pinning = (f"servers on CPU {settings.server_cpu} (`taskset -c {settings.server_cpu}`), wrk (`-t1`) and the "
               f"idle-connection helper on CPU {settings.client_cpu}" if settings.server_cpu is not None
               else "none (PIN=0 or one CPU); wrk `-t1`")
    nginx_workers = {s.name: len(s.pids()) - 1 for s in servers if s.name.startswith("nginx")}
    lines = [
        "# httpsh benchmark",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; httpsh {commit}",
        f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model}, {memory / (1 << 20):.0f} GiB, "
        f"Linux {os.uname().release}, {os_name}",
        f"- Load average (1, 5, 15 min) at start: {started_load}; at the end: {load_average()}",
        f"- Pinning: {pinning}",
        f"- Idle cell: {settings.idle_note}",
        f"- Method: {settings.reps} repetition(s) × {settings.duration} s per cell, interleaved (each repetition "
        "runs every workload on every server, server order rotated); figures are median (min–max)",
        f"- Tools: wrk {version(['wrk', '-v'], 'wrk ', ' [')}, nginx {version(['nginx', '-v'], 'nginx/', ' ')}, "
        f"lighttpd {version(['lighttpd', '-v'], 'lighttpd/', ' ')}, Python {sys.version.split()[0]}",
        f"- Configuration: access logs off; keep-alive on ({KEEPALIVE_IDLE_SECONDS} s idle, {KEEPALIVE_REQUESTS} "
        "requests per connection); sendfile on; directory listing on",
    ]
    for server in servers:
        detail = server.description
        if server.name in nginx_workers:
            detail += f" ({nginx_workers[server.name]} worker process(es))"
        lines.append(f"  - {server.name}: {detail}")
    lines += ["- CPU µs/req: the server's user+system time (/proc/PID/stat, all its processes) over the cell, "
              "divided by responses; user µs/req: the user-space part of it (the rest is the kernel's work on the "
              "server's system calls); server CPU: that time over the cell's length (100% = one core); wrk µs/req: "
              "the load generator's own CPU time per response (near 1,000,000 / req/s, wrk's one thread is the "
              "limit, and a response that costs it more to read, such as a longer head, gets a lower rate)", ""]
    return lines


def results_table(cells, servers, results):
    lines = ["## Results", "",
             "| workload | server | req/s | MB/s | p50 ms | p99 ms | errors | CPU µs/req | user µs/req | server CPU "
             "| wrk µs/req |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for workload in cells:
        for server in servers:
            runs = results.get((workload.key, server.name), [])
            if not runs:
                continue
            lines.append(
                f"| {workload.title} | {server.name} | {spread([r['rps'] for r in runs])} "
                f"| {spread([r['mbps'] for r in runs], 1)} | {spread([r['p50_ms'] for r in runs], 2)} "
                f"| {spread([r['p99_ms'] for r in runs], 2)} | {error_text(runs)} "
                f"| {spread([r['cpu_us_per_req'] for r in runs], 1)} "
                f"| {spread([r.get('user_us_per_req', float('nan')) for r in runs], 1)} "
                f"| {spread([r['cpu_share'] for r in runs], 0, 100)}% "
                f"| {spread([r.get('client_us_per_req', float('nan')) for r in runs], 1)} |")
    return lines + [""]


def ratio_table(cells, results, references, title):
    """httpsh against the best of `references` in the same run, per workload and figure."""
    if not any((w.key, n) in results for w in cells for n in references):
        return []
    lines = [f"## {title}", "",
             "ratio > 1 means httpsh is better for req/s, < 1 means better for CPU µs/req, user µs/req and p99.",
             "",
             "| workload | req/s: httpsh / best | CPU µs/req: httpsh / best | user µs/req: httpsh / best "
             "| p99: httpsh / best |",
             "| --- | --- | --- | --- | --- |"]

    def med(key, name, figure):
        runs = [r for r in results.get((key, name), []) if figure in r]
        return statistics.median(r[figure] for r in runs) if runs else None

    def compare(key, figure, pick):
        ours = med(key, "httpsh", figure)
        theirs = {n: med(key, n, figure) for n in references if med(key, n, figure) is not None}
        if ours is None or not theirs or theirs[pick(theirs, key=theirs.get)] == 0:
            return "–"
        best = pick(theirs, key=theirs.get)
        return f"{ours / theirs[best]:.2f}× ({best} {theirs[best]:,.{0 if figure == 'rps' else 2}f})"

    for workload in cells:
        lines.append(f"| {workload.title} | {compare(workload.key, 'rps', max)} "
                     f"| {compare(workload.key, 'cpu_us_per_req', min)} "
                     f"| {compare(workload.key, 'user_us_per_req', min)} | {compare(workload.key, 'p99_ms', min)} |")
    return lines + [""]


def memory_table(cells, servers, results, peaks):
    idle = next((w for w in cells if w.idle), None)
    lines = ["## Memory", "",
             "| server | peak RSS (VmHWM, all processes) | RSS while idle connections held | idle connections answered / still open at the end |",
             "| --- | ---: | ---: | --- |"]
    for server in servers:
        runs = results.get((idle.key, server.name), []) if idle else []
        rss = spread([r["idle_rss_kib"] / 1024 for r in runs], 1) + " MiB" if runs else "–"
        held = ", ".join(f"{r['idle_ready']:,} / {r['idle_alive']:,}" for r in runs) if runs else "–"
        lines.append(f"| {server.name} | {peaks[server.name] / 1024:,.1f} MiB | {rss} | {held} |")
    return lines + [""]


# ----------------------------------------------------------------------------------------------- main

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench.py TEMP_DIR   (run it through Benchmarks/bench.sh or make bench)")
    settings = Settings.from_environment(sys.argv[1])
    started = datetime.datetime.now(datetime.timezone.utc)
    started_load = load_average()
    root = settings.temp / "www"
    make_fixture(root)
    servers = make_servers(settings, root)
    cells = workloads(settings)
    results = {}
    # SIGTERM (e.g. from a CI timeout) unwinds through the finally below like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for server in servers:
            server.start(settings)
            run_wrk(settings, server.url("/1k.html"), 50, 1)  # warm-up: page cache, lazy allocations
        total = settings.reps * len(cells) * len(servers)
        done = 0
        for rep in range(settings.reps):
            for workload in cells:
                order = servers[rep % len(servers):] + servers[:rep % len(servers)]
                for server in order:
                    done += 1
                    run = measure(settings, server, workload)
                    results.setdefault((workload.key, server.name), []).append(run)
                    print(f"[{done}/{total}] rep {rep + 1} {workload.key:9} {server.name:10} "
                          f"{run['rps']:>10,.0f} req/s  p99 {run['p99_ms']:7.2f} ms  "
                          f"{run['cpu_us_per_req']:6.1f} µs/req  errors {sum(run['errors'].values())}",
                          file=sys.stderr, flush=True)
        peaks = {server.name: memory_kib(server.pids(), "VmHWM") for server in servers}
        report = (machine_header(settings, servers, started, started_load) + results_table(cells, servers, results)
                  + ratio_table(cells, results, ("nginx-1w", "nginx-auto", "lighttpd"),
                                "httpsh against the best of nginx and lighttpd (same run)")
                  + (ratio_table(cells, results, ("httpsh-base",), "httpsh against httpsh-base (same run)")
                     if settings.baseline_bin else [])
                  + memory_table(cells, servers, results, peaks))
    finally:
        for server in servers:
            server.stop()
    text = "\n".join(report)
    print(text)
    out = HERE / "results" / "latest.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    raw = {f"{key} {name}": runs for (key, name), runs in results.items()}
    (out.parent / "latest.json").write_text(json.dumps(raw, indent=1) + "\n")
    print(f"(written to {out.relative_to(REPO)})", file=sys.stderr)


if __name__ == "__main__":
    main()
