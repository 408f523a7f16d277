#!/usr/bin/env python3
"""Machine-independent cost of one response: system calls (strace -c -f) and user-space instructions (callgrind).

Usage: python3 Benchmarks/hotpath.py [BINARY] [--requests N] [--path /1k.html] [--close] [--only strace|callgrind]
                                     [--gzip] [--accept-encoding VALUE] [--cache-sim] [--footprint]

Starts BINARY (default .build/release/httpsh; a path to `lighttpd` measures that peer the same way) on a fresh web
root (the same fixture as bench.py), warms it up, then sends N requests on 4 keep-alive connections (or N
connections with `Connection: close`) and divides what the server did by N. Unlike req/s these figures do not
move with the load other programs put on the machine.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import make_fixture  # noqa: E402  (one fixture for both scripts)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_response(conn, pending):
    """Reads one response (head + Content-Length body); returns the bytes left over and whether the server
    closes the connection after it (the end of a keep-alive connection's request budget)."""
    while b"\r\n\r\n" not in pending:
        chunk = conn.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed mid-response")
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length: *(\d+)", head)
    length = int(match.group(1)) if match else 0
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace"))
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed mid-body")
        rest += chunk
    return rest[length:], b"connection: close" in head.lower()


def run_requests(port, path, count, close, accept_encoding=None):
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: hotpath\r\nAccept: */*\r\n".encode()
    if accept_encoding:
        request += f"Accept-Encoding: {accept_encoding}\r\n".encode()
    if close:
        request += b"Connection: close\r\n\r\n"
        for _ in range(count):
            with socket.create_connection(("127.0.0.1", port)) as conn:
                conn.sendall(request)
                read_response(conn, b"")
        return
    request += b"\r\n"
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    pending = [b""] * len(conns)
    for i in range(count):
        k = i % len(conns)
        conns[k].sendall(request)
        pending[k], closing = read_response(conns[k], pending[k])
        if closing:
            conns[k].close()
            conns[k], pending[k] = socket.create_connection(("127.0.0.1", port)), b""
    for conn in conns:
        conn.close()


def start(command, port):
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def server_command(binary, root, uploads, port):
    if binary.name == "lighttpd":
        # The reference peer, measured the same way: keep-alive, no access log, the same web root.
        config = uploads.parent / "lighttpd.conf"
        config.write_text(f'server.document-root = "{root}"\nserver.port = {port}\nserver.bind = "127.0.0.1"\n'
                          f'server.max-keep-alive-requests = 1000\nserver.errorlog = "{uploads.parent}/lighttpd.log"\n'
                          'mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")\n')
        return [str(binary), "-D", "-f", str(config)]
    return [str(binary), "--port", str(port), "--root", str(root), "--uploads", str(uploads), "--no-shell",
            "--access-log", "off", "--log-level", "warning", "--workers", "2", "--max-requests", "1000"]


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def syscalls(binary, temp, args):
    port = free_port()
    process = start(server_command(binary, temp / "root", temp / "uploads", port), port)
    try:
        run_requests(port, args.path, 200, args.close, args.accept_encoding)
        out = temp / "strace.txt"
        tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(out), "-p", str(process.pid)],
                                  stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        run_requests(port, args.path, args.requests, args.close, args.accept_encoding)
        time.sleep(0.3)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    finally:
        stop(process)
    rows = []
    total = 0
    for line in out.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls = int(fields[3])
            name = fields[-1]
            if name in ("futex", "restart_syscall", "clock_nanosleep", "nanosleep"):
                continue  # the housekeeper's sleep and thread parking: time-driven, not per response
            rows.append((name, calls))
            total += calls
    print(f"system calls per response: {total / args.requests:.2f}")
    for name, calls in sorted(rows, key=lambda r: -r[1]):
        print(f"  {name:<16} {calls / args.requests:.3f}")


def instructions(binary, temp, args):
    port = free_port()
    out = temp / "callgrind.out"
    # Valgrind 3.19 cannot read the toolchain's DWARF 5: profile a copy with the symbols but no debug info.
    stripped = temp / "stripped" / binary.name
    stripped.parent.mkdir()
    subprocess.run(["strip", "--strip-debug", "-o", str(stripped), str(binary)], check=True)
    simulate = ["--cache-sim=yes", "--branch-sim=yes"] if args.cache_sim else []
    if args.footprint:
        simulate.append("--dump-instr=yes")
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--instr-atstart=no", *simulate,
               *server_command(stripped, temp / "root", temp / "uploads", port)]
    process = start(command, port)
    try:
        run_requests(port, args.path, 200, args.close, args.accept_encoding)
        subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
        run_requests(port, args.path, args.requests, args.close, args.accept_encoding)
        subprocess.run(["callgrind_control", "-i", "off", str(process.pid)], check=True, capture_output=True)
    finally:
        stop(process)
    totals = {}
    for dump in temp.glob("callgrind.out*"):
        options = ["--inclusive=yes"] if args.inclusive else []
        text = subprocess.run(["callgrind_annotate", *options, str(dump)], capture_output=True, text=True).stdout
        events = re.search(r"^Events shown:\s+(.*)$", text, re.MULTILINE)
        line = re.search(r"^(.*)PROGRAM TOTALS", text, re.MULTILINE)
        if events and line:
            counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) \(100.0%\)", line.group(1))]
            for event, count in zip(events.group(1).split(), counts):
                totals[event] = totals.get(event, 0) + count
            if args.annotate:
                print(text[:args.annotate])
    print(f"user-space instructions per response: {totals.get('Ir', 0) / args.requests:,.0f}")
    if args.footprint:
        lines = set()
        for dump in temp.glob("callgrind.out*"):
            lines |= hot_code_lines(dump, args.requests)
        print(f"  hot code (64-byte lines run on every response): {len(lines):,} ({len(lines) * 64 / 1024:.1f} KiB)")
    if args.cache_sim:
        # Callgrind's model of the host's caches: first-level instruction-cache misses say how much code a
        # response touches beyond what stays cached; mispredicted branches (conditional, indirect) cost cycles too.
        for event, meaning in [("I1mr", "instruction-cache misses"), ("D1mr", "data-cache read misses"),
                               ("Bcm", "mispredicted conditional branches"), ("Bim", "mispredicted indirect branches")]:
            print(f"  {meaning + ':':<36} {totals.get(event, 0) / args.requests:,.1f}")


def hot_code_lines(dump, requests):
    """The 64-byte lines of code (any library) holding an instruction that ran at least once per response, read
    from a callgrind dump made with `--dump-instr=yes`: how much code a response touches, which unlike cache
    misses does not move with the layout of the binary."""
    counts = {}
    address = 0
    after_call = False
    for line in open(dump):
        if line.startswith("calls="):
            after_call = True  # the next cost line is the call's inclusive cost, not an instruction's own
            continue
        match = re.match(r"^(0x[0-9a-f]+|[+-]\d+|\*)\s+\S+\s+(\d+)", line)
        if not match:
            continue
        position = match.group(1)
        if position.startswith("0x"):
            address = int(position, 16)
        elif position != "*":
            address += int(position)
        if after_call:
            after_call = False
            continue
        counts[address] = counts.get(address, 0) + int(match.group(2))
    return {address // 64 for address, count in counts.items() if count >= requests}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default=str(REPO / ".build/release/httpsh"))
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--path", default="/1k.html")
    parser.add_argument("--close", action="store_true")
    parser.add_argument("--gzip", action="store_true",
                        help="make the path's precompressed sibling and ask for it (browsers' Accept-Encoding)")
    parser.add_argument("--accept-encoding", help="send this Accept-Encoding (the baseline for --gzip)")
    parser.add_argument("--only", choices=["strace", "callgrind"])
    parser.add_argument("--cache-sim", action="store_true",
                        help="also simulate the caches and branch predictor (instruction-cache misses per response)")
    parser.add_argument("--footprint", action="store_true",
                        help="also count the code a response runs (64-byte lines; callgrind --dump-instr=yes)")
    parser.add_argument("--inclusive", action="store_true", help="annotate with inclusive costs")
    parser.add_argument("--annotate", type=int, default=0, help="print this many characters of the profile")
    args = parser.parse_args()
    if args.gzip and not args.accept_encoding:
        args.accept_encoding = "gzip, deflate, br, zstd"
    with tempfile.TemporaryDirectory() as name:
        temp = Path(name)
        make_fixture(temp / "root")
        if args.gzip:
            subprocess.run(["gzip", "-k9", str(temp / "root" / args.path.lstrip("/"))], check=True)
        (temp / "uploads").mkdir()
        if args.only != "callgrind":
            syscalls(Path(args.binary), temp, args)
        if args.only != "strace":
            instructions(Path(args.binary), temp, args)


if __name__ == "__main__":
    main()
