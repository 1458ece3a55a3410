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
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
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
