#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Buffers beyond the JVM, end to end (docs/cross-process.md): runs the
# platform and the Python client (clients/python/dmabuf_peer.py, standard
# library only) together, and prints what crossed between them.
#
#   1. The panel's frames to a process: i915 renders into memfd framebuffers
#      and scans them out at 30 Hz; a Python process subscribes to the display
#      and checks every frame it is handed (its number and CRC-32) in the very
#      pages i915 wrote.
#   2. A process's frames to the panel: a Python process acts as a camera. It
#      sends its own memfds (udmabuf takes them), publishes them as a stream,
#      and fills each frame i915 asks for; i915 scans them out of the
#      process's pages and checks each one's CRC.
#
#   demo/cross-process.sh [frames]        (from the distribution's folder)
#
# Runs a private copy of the distribution (its board puts i915's framebuffers
# in the memfd heap), so it changes nothing here. Needs python3.
set -euo pipefail
FRAMES=${1:-90}
DIST=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLIENT="$DIST/clients/python/dmabuf_peer.py"
command -v python3 >/dev/null || { echo "cross-process.sh: needs python3 (its standard library only)" >&2; exit 3; }
WORK=$(mktemp -d)
PLATFORM=
cleanup() {
  exec 3>&- 2>/dev/null || true   # the console's stdin ends: Felix stops
  if [ -n "$PLATFORM" ]; then
    for _ in $(seq 1 100); do kill -0 "$PLATFORM" 2>/dev/null || break; sleep 0.1; done
    kill "$PLATFORM" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/dmabuf"
cp -r "$DIST/bin" "$DIST/bundle" "$DIST/conf" "$DIST/deploy" "$DIST/etc" "$DIST/lib" "$WORK/dmabuf/"
echo "framebuffer.heap=memfd" >> "$WORK/dmabuf/etc/board/org.dmabuf.device-intel.cfg"
mkfifo "$WORK/console"
(cd "$WORK" && exec dmabuf/bin/dmabuf < "$WORK/console" > "$WORK/platform.log" 2>&1) &
PLATFORM=$!
exec 3>"$WORK/console"   # holds the console's stdin open while the demo runs
SOCK="$WORK/dmabuf/run/dmabuf.sock"
for _ in $(seq 1 600); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "the platform did not open $SOCK; its log:" >&2; cat "$WORK/platform.log" >&2; exit 1; }

field() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(d.get(sys.argv[2]))' "$1" "$2"; }

echo "== 1. i915's frames, checked by a Python process (pid: its own) =="
W=$(python3 "$CLIENT" --socket "$SOCK" --timeout 30 watch display/0000:00:02.0 --frames "$FRAMES")
echo "$W"
echo "frames received: $(field "$W" frames), CRCs matched: $(field "$W" good), bad: $(field "$W" bad)," \
  "bytes copied: $(field "$W" bytes_copied)"

echo
echo "== 2. A Python camera's frames, scanned out and CRC-checked by i915 =="
python3 "$CLIENT" --socket "$SOCK" --timeout 30 camera camera/demo --frames 0 --display 0000:00:02.0 \
  > "$WORK/camera.out" &
CAMERA=$!
for _ in $(seq 1 300); do
  grep -q "scanning out .* from udmabuf camera/demo" "$WORK/platform.log" && break; sleep 0.1
done
head -n 1 "$WORK/camera.out"
echo "dmabuf:demo 0000:00:02.0 $FRAMES" >&3    # i915 shows that many frames of the camera, each CRC-checked
for _ in $(seq 1 300); do grep -q "rendered by udmabuf camera/demo" "$WORK/platform.log" && break; sleep 0.1; done
kill "$CAMERA"; wait "$CAMERA" 2>/dev/null || true
S=$(grep -h "rendered by udmabuf camera/demo" "$WORK/platform.log" | head -n 1 | sed 's/.*: \([0-9]* frames shown\)/\1/')
echo "i915: $S"
echo "bytes copied: $(field "$(head -n 1 "$WORK/camera.out")" zero_copy | sed 's/True/0/;s/False/all of them/')"
