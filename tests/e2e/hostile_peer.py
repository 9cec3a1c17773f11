#!/usr/bin/python3
"""Hostile and crowded peers for the collector's connection tests. Loopback only;
every loop is bounded in count and time.

usage:
  hostile_peer.py hold HOST PORT COUNT SOURCES INTERVAL_S SECONDS READY_FILE
      open COUNT TCP connections (source addresses round-robin from the comma
      list SOURCES), write one byte to each every INTERVAL_S, for SECONDS; write
      "open N" to READY_FILE once N are connected, then close them all
  hostile_peer.py trickle HOST PORT CAFILE BYTES_PER_S LIMIT_S
      POST /v1/enroll over TLS with a declared body sent at BYTES_PER_S;
      prints "closed after S s" when the server closes it, or "open after
      LIMIT_S s" if it never does
  hostile_peer.py headers HOST PORT CAFILE LIMIT_S
      over TLS, a request line then one header byte a second, never ending;
      prints as trickle does
  hostile_peer.py endless HOST PORT CAFILE LIMIT_S
      POST /v1/enroll over TLS with a chunked body that never ends, sent fast;
      prints as trickle does
"""
import socket
import ssl
import sys
import time


def hold(host, port, count, sources, interval, seconds, ready):
    conns = []
    deadline = time.monotonic() + seconds
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((sources[i % len(sources)], 0))
        s.settimeout(5)
        try:
            s.connect((host, port))
        except OSError:
            s.close()
            continue
        conns.append(s)
    with open(ready, "w") as f:
        f.write("open %d\n" % len(conns))
    while time.monotonic() < deadline:
        for s in conns:
            try:
                s.send(b"\x16")
            except OSError:
                pass
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    for s in conns:
        s.close()


def tls(host, port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    raw = socket.create_connection((host, port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname=host)


def until_closed(conn, chunk, pace, limit):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            conn.send(chunk)
            conn.settimeout(pace)
            try:
                if conn.recv(4096) == b"":
                    break
            except (socket.timeout, ssl.SSLWantReadError):
                pass
        except (OSError, ssl.SSLError):
            break
    else:
        print("open after %d s" % limit)
        return
    print("closed after %.0f s" % (time.monotonic() - start))


def main():
    what = sys.argv[1]
    if what == "hold":
        host, port, count, sources, interval, seconds, ready = sys.argv[2:9]
        hold(host, int(port), int(count), sources.split(","), float(interval), float(seconds), ready)
    elif what == "trickle":
        host, port, cafile, rate, limit = sys.argv[2:7]
        conn = tls(host, int(port), cafile)
        conn.send(b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                  b"Content-Length: 10000\r\n\r\n")
        until_closed(conn, b"x" * max(1, int(rate) // 4), 0.25, float(limit))
    elif what == "headers":
        host, port, cafile, limit = sys.argv[2:6]
        conn = tls(host, int(port), cafile)
        conn.send(b"POST /v1/sync HTTP/1.1\r\nX-Slow: ")
        until_closed(conn, b"a", 1.0, float(limit))
    elif what == "endless":
        host, port, cafile, limit = sys.argv[2:6]
        conn = tls(host, int(port), cafile)
        conn.send(b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        until_closed(conn, b"4000\r\n" + b"y" * 0x4000 + b"\r\n", 0.02, float(limit))
    else:
        sys.exit("hostile_peer.py: unknown command " + what)


if __name__ == "__main__":
    main()
