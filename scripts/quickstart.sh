#!/usr/bin/env bash
# colo quick start: on a fresh Debian 12 machine, set up everything and run a real local COLO pair
# (the embedded default lab: two sshd "hosts" on 127.0.0.11 and 127.0.0.12, the tiny test guest).
#   bash scripts/quickstart.sh          # ends with the pair in COLO and its status printed
#   COLO_LAB_DIR=... to place the lab elsewhere (default ./colo-lab); `npx colo lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
lab_dir="${COLO_LAB_DIR:-colo-lab}"

need_apt=0
for b in qemu-system-x86_64 qemu-img sshd busybox ninja; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || need_apt=1
done
ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 || need_apt=1
if [ "$need_apt" = 1 ]; then
  echo "== installing Debian packages (QEMU, OpenSSH server, busybox, cloud kernel, QEMU build deps)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends \
    qemu-system-x86 qemu-utils openssh-server openssh-client busybox-static linux-image-cloud-amd64 \
    cpio gzip xz-utils kmod ca-certificates \
    build-essential ninja-build meson pkg-config libglib2.0-dev libpixman-1-dev libslirp-dev \
    zlib1g-dev libseccomp-dev libfdt-dev python3-venv dpkg-dev
fi
[ -d node_modules ] || { echo "== npm ci"; npm ci --no-audit --no-fund; }
[ -f dist/cli/main.js ] || npm run build

if [ -f "$lab_dir/lab.json" ]; then
  echo "== a lab already exists in $lab_dir: reusing it"
else
  echo "== colo lab up (first run builds the patched test QEMU, ~2-5 min, then cached)"
  node bin/colo.js lab up --dir "$lab_dir"
fi
echo "== colo apply"
node bin/colo.js apply -f "$lab_dir/colo.yaml" --auto-approve
echo "== colo plan (expect: No changes)"
node bin/colo.js plan -f "$lab_dir/colo.yaml"
echo
echo "The pair runs in COLO. Try: npx colo status -f $lab_dir/colo.yaml ; npx colo lab down --dir $lab_dir"
