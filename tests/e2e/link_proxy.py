#!/usr/bin/python3
"""A TCP proxy that behaves like a bad link, for the sync tests and the link
benchmark. Bounded: it serves for at most SECONDS, then exits.

usage:
  link_proxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT SECONDS [options]
options:
  --delay-ms N         hold every chunk N/2 ms in each direction (N ms more round trip)
  --cut-down-after N   after N bytes have gone down (collector to device) on one
                       connection, reset both sides of it: an answer cut midway
  --cut-once           cut only the first connection that reaches the limit
  --stats FILE         on exit (SIGTERM too) write "up U down D connections C cuts K":
                       TCP payload bytes, i.e. the TLS records both ways
  --ready FILE         write the port listened on once listening (0 picks one)
"""
import asyncio
import signal
import socket
import struct
import sys


class Link:
    def __init__(self, args):
        self.delay = 0.0
        self.cut_after = None
        self.cut_once = False
        self.stats_file = None
        self.ready_file = None
        self.up = self.down = self.connections = self.cuts = 0
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--delay-ms":
                self.delay = int(args[i + 1]) / 2000.0
                i += 2
            elif a == "--cut-down-after":
                self.cut_after = int(args[i + 1])
                i += 2
            elif a == "--cut-once":
                self.cut_once = True
                i += 1
            elif a == "--stats":
                self.stats_file = args[i + 1]
                i += 2
            elif a == "--ready":
                self.ready_file = args[i + 1]
                i += 2
            else:
                raise SystemExit("link_proxy: unknown option " + a)

    def write_stats(self):
        if self.stats_file:
            with open(self.stats_file, "w") as f:
                f.write("up %d down %d connections %d cuts %d\n"
                        % (self.up, self.down, self.connections, self.cuts))


def reset(writer):
    """Close with a TCP reset, as a dropped link looks to the peer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.close()


async def pump(link, reader, writer, down, state, peers):
    """Copy one direction, each chunk held link.delay seconds (in order)."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
            if state["cut"]:
                break
            if down and link.cut_after is not None and state["armed"] and \
                    state["down"] + len(data) > link.cut_after:
                keep = link.cut_after - state["down"]
                if keep > 0:
                    writer.write(data[:keep])
                    await writer.drain()
                state["cut"] = True
                link.cuts += 1
                if link.cut_once:
                    link.cut_after = None
                for w in peers:
                    reset(w)
                break
            writer.write(data)
            await writer.drain()
            if down:
                state["down"] += len(data)
                link.down += len(data)
            else:
                link.up += len(data)

    sender = asyncio.ensure_future(deliver())
    try:
        while not state["cut"]:
            data = await reader.read(16384)
            if not data:
                break
            await queue.put((asyncio.get_running_loop().time() + link.delay, data))
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass
    if not state["cut"]:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def serve_one(link, target, client_reader, client_writer):
    link.connections += 1
    try:
        up_reader, up_writer = await asyncio.open_connection(*target)
    except OSError:
        client_writer.close()
        return
    state = {"cut": False, "down": 0, "armed": link.cut_after is not None}
    peers = (client_writer, up_writer)
    await asyncio.gather(pump(link, client_reader, up_writer, False, state, peers),
                         pump(link, up_reader, client_writer, True, state, peers))
    for w in peers:
        try:
            w.close()
        except OSError:
            pass


async def main():
    if len(sys.argv) < 6:
        raise SystemExit(__doc__)
    host, port, thost, tport, seconds = sys.argv[1:6]
    link = Link(sys.argv[6:])
    target = (thost, int(tport))
    server = await asyncio.start_server(lambda r, w: serve_one(link, target, r, w), host, int(port))
    bound = server.sockets[0].getsockname()[1]
    if link.ready_file:
        with open(link.ready_file + ".tmp", "w") as f:
            f.write("%d\n" % bound)
        import os
        os.rename(link.ready_file + ".tmp", link.ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=float(seconds))
    except asyncio.TimeoutError:
        pass
    server.close()
    link.write_stats()


if __name__ == "__main__":
    asyncio.run(main())
