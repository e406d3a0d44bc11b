#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A client of the DMA-BUF platform's peer socket, with nothing but Python's
standard library (docs/cross-process.md, protocol version 1).

It connects to the platform's Unix socket (SOCK_SEQPACKET), asks for a buffer
by name, and receives the buffer's memory as a real file descriptor
(SCM_RIGHTS) with an eventfd that becomes readable when the buffer's writers
are done. It maps the memory: the very pages the JVM's GPU drivers wrote,
nothing copied.

    python3 dmabuf_peer.py --socket run/dmabuf.sock get frame-1 [--crc 1a2b3c4d]
    python3 dmabuf_peer.py --socket run/dmabuf.sock hold frame-1
    python3 dmabuf_peer.py --socket run/dmabuf.sock watch display/0000:00:02.0 --frames 30
    python3 dmabuf_peer.py --socket run/dmabuf.sock camera camera/front --frames 60

`get` prints one JSON line: what it received, the CRC-32 of the bytes it
mapped, whether it matched --crc, and the proof that nothing was copied (the
mapping in /proc/self/maps is the memfd's inode). `hold` prints READY once it
holds the buffer, then waits for stdin to close (a test kills it). `watch`
subscribes to a display's stream and checks every frame it is handed: its
header's frame number and its CRC-32 against the ones the display expects,
then lets go of it (which lets the GPU render into that buffer again).
`camera` acts as a camera: it makes its own memfds, sends them (IMPORT, as
udmabuf takes them), publishes them as a stream (PUBLISH) and fills each
buffer with the frame the display asks for (FILL), in the display's test
pattern, so the display's CRC check shows whether a frame arrived whole.
"""

import argparse
import fcntl
import json
import mmap
import os
import select
import socket
import struct
import sys
import urllib.parse
import zlib

VERSION = 1
MAX_MESSAGE = 4096
ERROR_BIT = 1 << 32


class PeerError(Exception):
    """An ERROR reply: the platform's errno name and message."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


def encode(verb, **kv):
    return " ".join([verb] + [f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in kv.items()]).encode()


def decode(data):
    parts = data.decode().split(" ")
    args = {}
    for p in parts[1:]:
        if p:
            k, _, v = p.partition("=")
            args[k] = urllib.parse.unquote(v)
    return parts[0], args


class Peer:
    """One connection to the platform."""

    def __init__(self, path, name="dmabuf_peer.py"):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(path)
        self.queued = []
        verb, args, _ = self.request("HELLO", version=VERSION, name=name)
        if verb != "WELCOME":
            raise PeerError("EPROTO", f"expected WELCOME, got {verb}")
        self.module = args.get("module")

    def request(self, verb, pass_fds=(), **kv):
        """Sends a request (with pass_fds, if any) and returns its reply: (verb, args, fds).

        Messages the platform sends unasked meanwhile (FRAME, FILL) are kept for next_message."""
        if pass_fds:
            socket.send_fds(self.sock, [encode(verb, **kv)], list(pass_fds))
        else:
            self.sock.send(encode(verb, **kv))
        while True:
            rverb, args, fds = self._receive()
            if rverb in ("FRAME", "FILL"):
                self.queued.append((rverb, args, fds))  # for next_message, in order
                continue
            if rverb == "ERROR":
                for fd in fds:
                    os.close(fd)
                raise PeerError(args.get("code"), args.get("message"))
            return rverb, args, fds

    def get(self, name):
        """GET name=...: returns (args, memfd, eventfd, reference); closing the reference drops it."""
        verb, args, fds = self.request("GET", name=name)
        if verb != "BUFFER" or len(fds) != 3:
            raise PeerError("EPROTO", f"expected BUFFER with 3 fds, got {verb} with {len(fds)}")
        return args, fds[0], fds[1], fds[2]

    def subscribe(self, stream):
        verb, args, _ = self.request("SUBSCRIBE", stream=stream)
        if verb != "SUBSCRIBED":
            raise PeerError("EPROTO", f"expected SUBSCRIBED, got {verb}")

    def next_message(self):
        """The next message the platform sends: (verb, args, fds); those kept while a request waited first."""
        if self.queued:
            return self.queued.pop(0)
        return self._receive()

    def _receive(self):
        data, fds, _flags, _addr = socket.recv_fds(self.sock, MAX_MESSAGE, 4)
        if not data:
            raise PeerError("ECONNRESET", "the platform closed the connection")
        verb, args = decode(data)
        return verb, args, fds

    def close_buffer(self, fd):
        self.request("CLOSE", fd=fd)

    def bye(self):
        self.request("BYE")
        self.sock.close()


def wait_fence(eventfd, timeout_s):
    """Waits for the eventfd with select; returns 0, -errno, or None on time out."""
    ready, _, _ = select.select([eventfd], [], [], timeout_s)
    if not ready:
        return None
    value = int.from_bytes(os.read(eventfd, 8), sys.byteorder)
    return -(value & 0xFFFFFFFF) if value & ERROR_BIT else 0


def mapped_inodes(path_prefix="/memfd:"):
    """Inodes of the memfd mappings of this process, from /proc/self/maps."""
    out = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5].startswith(path_prefix):
                out.add(int(fields[4]))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True, help="the platform's peer socket")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the writers")
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("get", help="receive a buffer, map it, check its CRC")
    g.add_argument("name")
    g.add_argument("--crc", help="the expected CRC-32, in hex")
    h = sub.add_parser("hold", help="receive a buffer and hold it until killed")
    h.add_argument("name")
    w = sub.add_parser("watch", help="check every frame of a display's stream")
    w.add_argument("stream")
    w.add_argument("--frames", type=int, default=30)
    c = sub.add_parser("camera", help="send frames of your own for a display to show")
    c.add_argument("stream", help="the stream's name, camera/<name>")
    c.add_argument("--frames", type=int, default=60, help="frames to fill before leaving; 0: until killed")
    c.add_argument("--buffers", type=int, default=3)
    c.add_argument("--width", type=int, default=640)
    c.add_argument("--height", type=int, default=480)
    c.add_argument("--display", help="the one display to be shown on (its device name)")
    c.add_argument("--ranking", type=int, help="the stream's service.ranking (100 when absent: above the GPUs')")
    c.add_argument("--eventfd", action="store_true",
                   help="answer each FILL at once with an eventfd, and signal it once the frame is written")
    a = p.parse_args(argv)

    peer = Peer(a.socket)
    if a.cmd == "watch":
        return watch(peer, a.stream, a.frames, a.timeout)
    if a.cmd == "camera":
        return camera(peer, a)
    args, memfd, eventfd, reference = peer.get(a.name)
    size = int(args["size"])
    if a.cmd == "hold":
        print("READY", args["ino"], flush=True)
        sys.stdin.read()
        return 0
    status = wait_fence(eventfd, a.timeout)
    with mmap.mmap(memfd, size, mmap.MAP_SHARED, mmap.PROT_READ) as m:
        crc = zlib.crc32(m) & 0xFFFFFFFF
        zero_copy = int(args["inode"]) in mapped_inodes() and os.fstat(memfd).st_ino == int(args["inode"])
    result = {
        "ino": int(args["ino"]), "name": args.get("name"), "size": size, "fence": status,
        "crc": f"{crc:08x}", "crc_ok": a.crc is None or int(a.crc, 16) == crc,
        "zero_copy": zero_copy, "bytes_copied": 0 if zero_copy else size, "module": peer.module,
    }
    os.close(memfd)
    os.close(eventfd)
    peer.close_buffer(args["fd"])
    os.close(reference)  # after CLOSE; closing it alone drops the reference as well
    peer.bye()
    print(json.dumps(result), flush=True)
    return 0 if result["crc_ok"] and zero_copy and status == 0 else 1


def watch(peer, stream, count, timeout_s):
    """Checks `count` frames of `stream`; prints one JSON line; 0 when every one was whole and mapped in place."""
    peer.subscribe(stream)
    good = bad = 0
    zero_copy = True
    numbers = []
    while good + bad < count:
        verb, args, fds = peer.next_message()
        if verb != "FRAME":
            for fd in fds:
                os.close(fd)
            if verb == "ERROR":
                raise PeerError(args.get("code"), args.get("message"))
            continue  # CLOSED
        memfd, eventfd, reference = fds
        status = wait_fence(eventfd, timeout_s)
        size = int(args["height"]) * int(args["stride"])
        with mmap.mmap(memfd, int(args["size"]), mmap.MAP_SHARED, mmap.PROT_READ) as m:
            number = int.from_bytes(m[0:8], "little")
            with memoryview(m) as pixels:
                crc = zlib.crc32(pixels[0:size]) & 0xFFFFFFFF  # read in place: no copy
            zero_copy = zero_copy and int(args["inode"]) in mapped_inodes()
        os.close(memfd)
        os.close(eventfd)
        whole = status == 0 and number == int(args["frame"]) and crc == int(args["crc32"], 16)
        good += whole
        bad += not whole
        numbers.append(int(args["frame"]))
        os.close(reference)  # let go: the GPU may render into it again (as CLOSE fd=... would)
    result = {"stream": stream, "frames": good + bad, "good": good, "bad": bad, "zero_copy": zero_copy,
              "bytes_copied": 0 if zero_copy else None, "first": numbers[0], "last": numbers[-1],
              "module": peer.module}
    print(json.dumps(result), flush=True)
    return 0 if bad == 0 and zero_copy else 1


MAGIC = 0x444D414255462D31  # "DMABUF-1": the test pattern's header, after the frame number
XOR = [bytes(v ^ b for v in range(256)) for b in range(256)]


def render(m, frame, width, height, stride):
    """Writes frame `frame` of the display's test pattern (org.dmabuf.api.display.TestPattern) into m."""
    shift = frame * 4
    red = bytes((x + shift) & 0xFF for x in range(width))
    low = bytes(x & 0x3F for x in range(width))
    alpha = b"\xff" * width
    row = bytearray(width * 4)
    row[2::4] = red
    row[3::4] = alpha
    for y in range(height):
        row[0::4] = low.translate(XOR[(y ^ shift) & 0xFF])
        row[1::4] = bytes((((y + frame * 2) & 0xFF),)) * width
        m[y * stride:y * stride + width * 4] = row
    struct.pack_into("<qQ", m, 0, frame, MAGIC)


def camera(peer, a):
    """Publishes a stream of its own memfds and fills each frame it is asked for; prints one JSON line."""
    stride = a.width * 4
    size = -(-stride * a.height // mmap.PAGESIZE) * mmap.PAGESIZE
    memfds, maps, fds, refs, inodes_ok = [], [], [], [], True
    for i in range(a.buffers):
        memfd = os.memfd_create(f"camera-{i}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(memfd, size)
        fcntl.fcntl(memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)  # as udmabuf requires
        _, args, ref = peer.request("IMPORT", pass_fds=[memfd], size=size, name=f"camera-{i}")
        refs.extend(ref)  # the reference to the dma-buf udmabuf made: held while it is open
        inodes_ok = inodes_ok and int(args["inode"]) == os.fstat(memfd).st_ino  # the platform maps this file
        memfds.append(memfd)
        maps.append(mmap.mmap(memfd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE))
        fds.append(args["fd"])
    kv = {"stream": a.stream, "fds": ",".join(fds), "width": a.width, "height": a.height, "stride": stride}
    if a.display:
        kv["display"] = a.display
    if a.ranking is not None:
        kv["ranking"] = a.ranking
    verb, _, _ = peer.request("PUBLISH", **kv)
    print(json.dumps({"published": a.stream, "buffers": len(fds), "zero_copy": inodes_ok}), flush=True)
    filled, errors, first, last = 0, [], None, None
    while a.frames == 0 or filled < a.frames:
        verb, args, rfds = peer.next_message()
        if verb == "ERROR":
            errors.append(args.get("message"))
            continue
        if verb != "FILL":
            for fd in rfds:
                os.close(fd)
            continue
        index, frame = int(args["index"]), int(args["frame"])
        before = rfds[0]
        wait_fence(before, a.timeout)  # the buffer's readers are done with it
        os.close(before)
        if a.eventfd:
            done = os.eventfd(0, os.EFD_CLOEXEC)
            socket.send_fds(peer.sock, [encode("FILLED", stream=a.stream, index=index, frame=frame)], [done])
            render(maps[index], frame, a.width, a.height, stride)
            os.eventfd_write(done, 1)  # the write fence signals: the display may read it
            os.close(done)
        else:
            render(maps[index], frame, a.width, a.height, stride)
            peer.sock.send(encode("FILLED", stream=a.stream, index=index, frame=frame))
        filled += 1
        first = frame if first is None else first
        last = frame
    peer.request("UNPUBLISH", stream=a.stream)
    peer.bye()
    for m in maps:
        m.close()
    for fd in memfds + refs:
        os.close(fd)
    print(json.dumps({"stream": a.stream, "filled": filled, "first": first, "last": last, "errors": errors,
                      "zero_copy": inodes_ok, "bytes_copied": 0 if inodes_ok else None}), flush=True)
    return 0 if inodes_ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PeerError as e:
        print(json.dumps({"error": e.code, "message": str(e)}), flush=True)
        sys.exit(2)
