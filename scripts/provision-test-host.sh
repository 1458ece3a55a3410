#!/usr/bin/env bash
# Install the real components the tests use, with apt, only where they are missing.
# Without root or apt it installs nothing and says what is missing; the tests then skip
# those parts loudly (or fail, under CI).
set -uo pipefail
packages=(docker.io docker-registry skopeo busybox-static qemu-user-static chromium redis-server apache2-utils)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test components: all installed (${packages[*]})"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test components: installing ${missing[*]} with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/swarmdeck-apt.log 2>&1; then
    echo "!! apt-get install failed; see /tmp/swarmdeck-apt.log (last lines below)" >&2
    tail -n 20 /tmp/swarmdeck-apt.log >&2
    exit 1
  fi
else
  echo "!! test components missing and not installable here (need root and apt): ${missing[*]}" >&2
  echo "!! their tests will be skipped and listed at the end." >&2
fi

# An arm64 static busybox, so tests can build a real arm64 image and run it under QEMU.
# Debian's own package for arm64, downloaded (not installed) and unpacked into a cache.
arm64_busybox=/var/cache/swarmdeck-tests/busybox-arm64
if [ ! -x "$arm64_busybox" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test components: fetching Debian's busybox-static for arm64 ..."
  work=$(mktemp -d)
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  if (apt-get update -qq >/dev/null 2>&1 || true) \
     && (cd "$work" && apt-get download -qq busybox-static:arm64 >/dev/null 2>&1) \
     && dpkg-deb -x "$work"/busybox-static_*_arm64.deb "$work/root"; then
    mkdir -p "$(dirname "$arm64_busybox")"
    cp "$work/root/bin/busybox" "$arm64_busybox"
    chmod 755 "$arm64_busybox"
  else
    echo "!! could not fetch busybox-static:arm64; the arm64 run tests will report it" >&2
  fi
  rm -rf "$work"
fi
