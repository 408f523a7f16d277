#!/usr/bin/env python3
"""Holds N idle keep-alive connections open to an HTTP server.

Each connection sends one keep-alive GET and reads the whole response, so the server has really served it and
now keeps it parked as an idle keep-alive connection. The helper then prints `ready N` (N = connections whose
request was answered) and holds them until its standard input closes (or --hold seconds pass), then prints
`alive M`: how many the server had not closed in the meantime.

Usage: idle_connections.py --port 8080 [--host 127.0.0.1] [--path /] [--count 10000] [--hold SECONDS]
Python 3 standard library only.
"""

import argparse
import resource
import socket
import sys
import time

# Connections are opened in batches: enough to be quick, few enough that the listen backlog never overflows
# (a dropped SYN would stall the connect for a one-second retransmission).
BATCH = 250
# A generous per-response wait: the server under test may be busy with a parallel load.
RESPONSE_TIMEOUT_SECONDS = 10


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:  # root may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
        except (ValueError, OSError):
            sys.exit(f"idle_connections: need {needed} descriptors, hard limit is {hard} (raise ulimit -n)")
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def response_complete(data):
    """True once `data` holds a full response head plus its Content-Length body."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    length = 0
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(data) >= end + 4 + length


def open_batch(host, port, request, count):
    """Opens `count` connections, sends the request on each, reads each response; returns the live sockets."""
    sockets = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(RESPONSE_TIMEOUT_SECONDS)
        try:
            s.connect((host, port))
            s.sendall(request)
            sockets.append(s)
        except OSError:
            s.close()
    answered = []
    for s in sockets:
        data = b""
        try:
            while not response_complete(data):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        if data.startswith(b"HTTP/1.1 2") and response_complete(data):
            answered.append(s)
        else:
            s.close()
    return answered


def still_open(s):
    """An idle connection the server kept has nothing to read; a closed one reads EOF, an error or a last word
    such as a 408."""
    s.setblocking(False)  # with a timeout set, Python would wait for data despite MSG_DONTWAIT
    try:
        s.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--hold", type=float, default=None, help="seconds to hold (default: until stdin closes)")
    args = parser.parse_args()

    raise_fd_limit(args.count + 64)
    request = f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n\r\n".encode()
    held = []
    while len(held) < args.count:
        batch = open_batch(args.host, args.port, request, min(BATCH, args.count - len(held)))
        if not batch:
            break
        held.extend(batch)
    print(f"ready {len(held)}", flush=True)

    if args.hold is None:
        sys.stdin.read()
    else:
        time.sleep(args.hold)

    alive = sum(1 for s in held if still_open(s))
    print(f"alive {alive}", flush=True)
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
