#!/usr/bin/env python3
"""A seccomp notify agent for the tests: listens on a unix socket, takes one connection from the
runtime, records the message and the fd count it carried, then answers every notification on the
received fd with -ENETDOWN (an errno nothing else would produce) until the filter has no users.

usage: seccomp-listener.py SOCKET RECORD_JSON
Prints "ready" once listening. RECORD_JSON is rewritten after every event.
"""
import json
import os
import select
import socket
import struct
import sys

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes
ENETDOWN = 100


def save(path, record):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.rename(tmp, path)


def main():
    sock_path, out = sys.argv[1], sys.argv[2]
    record = {"message": None, "fds": 0, "answered": []}
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    server.settimeout(30)
    print("ready", flush=True)
    conn, _ = server.accept()
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
    record["message"] = json.loads(data.decode())
    record["fds"] = len(fds)
    save(out, record)
    if not fds:
        return
    import fcntl

    notify = fds[0]
    poller = select.poll()
    poller.register(notify, select.POLLIN)
    while True:
        events = poller.poll(30_000)
        if not events:
            break
        _, ev = events[0]
        if ev & select.POLLIN:
            buf = bytearray(80)
            try:
                fcntl.ioctl(notify, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
            except OSError:
                continue  # the process went away between poll and recv
            notif_id, pid, _flags, nr = struct.unpack_from("QIIi", buf)
            resp = struct.pack("QqiI", notif_id, 0, -ENETDOWN, 0)
            try:
                fcntl.ioctl(notify, SECCOMP_IOCTL_NOTIF_SEND, resp)
            except OSError:
                pass
            record["answered"].append(nr)
            save(out, record)
        elif ev & (select.POLLHUP | select.POLLERR):
            break


if __name__ == "__main__":
    main()
