#!/usr/bin/env python3
"""A one-connection TCP relay that counts the bytes it moves.

usage: tcp_count.py HOST PORT OUTFILE

Listens on a free loopback port (printed on stdout), accepts one connection,
relays it to HOST:PORT both ways, and when both sides have closed (or on
SIGTERM) writes "bytes TOTAL up UP down DOWN" to OUTFILE. Used by
tools/bench/one_record_sync.sh to measure what a sync puts on the wire.
"""
import selectors
import signal
import socket
import sys


def main() -> None:
    host, port, outfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    counts = {"up": 0, "down": 0}

    def report(*_):
        with open(outfile, "w") as out:
            out.write(f"bytes {counts['up'] + counts['down']} up {counts['up']} down {counts['down']}\n")
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print(listener.getsockname()[1], flush=True)
    client, _ = listener.accept()
    server = socket.create_connection((host, port))
    selector = selectors.DefaultSelector()
    selector.register(client, selectors.EVENT_READ, (server, "up"))
    selector.register(server, selectors.EVENT_READ, (client, "down"))
    open_sides = 2
    while open_sides:
        for key, _ in selector.select():
            peer, direction = key.data
            try:
                data = key.fileobj.recv(65536)
            except ConnectionResetError:  # a reset ends that side as a close does
                data = b""
            if not data:
                selector.unregister(key.fileobj)
                try:
                    peer.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                open_sides -= 1
                continue
            counts[direction] += len(data)
            peer.sendall(data)
    report()


if __name__ == "__main__":
    main()
