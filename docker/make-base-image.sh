#!/bin/sh
# Builds local base images for the Dockerfile without any image registry:
# a root filesystem assembled from this machine, imported with `docker import`.
#
#   hotinit-plain:local  busybox (static) + glibc, libstdc++, libgcc_s: what a
#                        slim Debian image offers a C++ program. No Node.js.
#   hotinit-base:local   the same + the Node.js binary at /usr/local/bin/node
#                        (stripped of debug symbols when `strip` is there).
# Both have a `node` user (uid 1000), as the official node images do.
#
# Usage: docker/make-base-image.sh [--force]
#   NODE=/path/to/node      the Node.js binary to put in (default: node on PATH)
#   BUSYBOX=/path/busybox   a statically linked busybox (default: busybox-static's)
# An image whose inputs are unchanged (same script, node, busybox) is reused.
set -eu

force=0
[ "${1:-}" = "--force" ] && force=1

node_bin=${NODE:-$(command -v node || true)}
[ -n "$node_bin" ] && [ -x "$node_bin" ] || { echo "make-base-image: no node binary (set NODE=)" >&2; exit 1; }
node_bin=$(readlink -f "$node_bin")

busybox_bin=${BUSYBOX:-/bin/busybox}
if ! [ -x "$busybox_bin" ] || ldd "$busybox_bin" >/dev/null 2>&1; then
  # Missing, or dynamically linked (Debian's `busybox`): the static one is needed.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y busybox-static >/dev/null
    busybox_bin=/bin/busybox
  fi
fi
if ! [ -x "$busybox_bin" ] || ldd "$busybox_bin" >/dev/null 2>&1; then
  echo "make-base-image: need a static busybox: apt-get install busybox-static (or set BUSYBOX=)" >&2
  exit 1
fi

# What the images are made of; an unchanged key means the images are current.
key=$( {
  cat "$0"
  "$node_bin" --version
  stat -c '%s %Y' "$node_bin" "$busybox_bin"
  ldd "$node_bin" | sed "s/ (0x[0-9a-f]*)//"
} | sha256sum | cut -c1-16)

current() {
  [ "$(docker image inspect -f '{{index .Config.Labels "hotinit.base.key"}}' "$1" 2>/dev/null || true)" = "$key" ]
}
if [ "$force" = 0 ] && current hotinit-plain:local && current hotinit-base:local; then
  echo "make-base-image: hotinit-plain:local and hotinit-base:local are current ($key)"
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

# Merged /usr, as in Debian 12.
mkdir -p "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/usr/lib" "$rootfs/usr/lib64" "$rootfs/usr/local/bin" \
  "$rootfs/etc" "$rootfs/root" "$rootfs/home/node" "$rootfs/tmp" "$rootfs/var/tmp" "$rootfs/run" \
  "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$rootfs/$dir"; done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"

cp "$busybox_bin" "$rootfs/usr/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ -e "$rootfs/usr/bin/$applet" ] || ln -s busybox "$rootfs/usr/bin/$applet"
done

# The shared libraries Node.js needs (glibc, libstdc++, libgcc_s), at the paths ldd names.
for lib in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000:node:/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chown 1000:1000 "$rootfs/home/node"

import() { # import IMAGE: the rootfs as it is now; the image it replaces goes if unused
  previous=$(docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true)
  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' \
    --change "LABEL hotinit.base.key=$key" \
    - "$1" >/dev/null
  [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true
  echo "make-base-image: $1 ($(docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

import hotinit-plain:local
cp "$node_bin" "$rootfs/usr/local/bin/node"
# Debug symbols are 18 MB of Node.js's 127; the dynamic symbols addons need stay.
command -v strip >/dev/null && strip "$rootfs/usr/local/bin/node"
import hotinit-base:local
