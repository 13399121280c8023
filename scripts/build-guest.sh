#!/usr/bin/env bash
# Build colo's tiny test guest: the Debian cloud kernel's vmlinuz plus a
# busybox-static initramfs (cpio newc, gzip) holding the virtio modules and
# scripts/guest/init (see that file for what the guest does), its CGIs, its continuity-record
# format (scripts/guest/records.awk) and the stream service (scripts/guest/colo-stream.c, compiled
# here with gcc, statically linked).
#
# Result (cached, reused by later runs):
#   ${COLO_CACHE:-$HOME/.cache/colo}/guest/<hash>/
#     vmlinuz       copy of /boot/vmlinuz-<kver>
#     initrd.img    the initramfs
#     stamp         key=value build record, written last (its presence = complete)
#   <hash> = first 16 hex of sha256 over this script, scripts/guest/*, the kernel
#   image, the modules, the busybox binary and the C compiler's version.
# The last stdout line is one JSON object:
#   {"kernel":"…/vmlinuz","initrd":"…/initrd.img","cmdline":"console=ttyS0 quiet panic=1","kernelVersion":"6.1.0-…"}
# Everything else goes to stderr.
#
# Environment:
#   COLO_CACHE                 cache root (default $HOME/.cache/colo)
#   COLO_GUEST_KERNEL_VERSION  kernel version to use (default: newest /boot/vmlinuz-*-cloud-amd64)
#   COLO_BUSYBOX               busybox binary (default /bin/busybox, must be static)
#   COLO_GUEST_CC              C compiler for the stream service (default gcc; links with -static)
set -euo pipefail

log() { printf 'build-guest: %s\n' "$*" >&2; }
die() { printf 'build-guest: error: %s\n' "$*" >&2; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
guest_dir="$script_dir/guest"
cache_root="${COLO_CACHE:-$HOME/.cache/colo}"
cmdline="console=ttyS0 quiet panic=1"
# Load order matters (else `Unknown symbol virtio_break_device`); checked against modinfo below.
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk)

# --- inputs -----------------------------------------------------------------------
kver="${COLO_GUEST_KERNEL_VERSION:-}"
if [ -z "$kver" ]; then
  newest=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$newest" ] || die "no /boot/vmlinuz-*-cloud-amd64: apt-get install linux-image-cloud-amd64"
  kver=${newest#/boot/vmlinuz-}
fi
kernel="/boot/vmlinuz-$kver"
moddir="/lib/modules/$kver"
[ -r "$kernel" ] || die "cannot read $kernel (apt-get install linux-image-cloud-amd64)"
[ -d "$moddir" ] || die "no $moddir for kernel $kver"
busybox="${COLO_BUSYBOX:-/bin/busybox}"
[ -x "$busybox" ] || die "no $busybox: apt-get install busybox-static"
cc="${COLO_GUEST_CC:-gcc}"
command -v "$cc" >/dev/null 2>&1 || die "no C compiler $cc for the stream service: apt-get install gcc libc6-dev"
cc_version=$("$cc" --version 2>/dev/null | head -n1)
missing=()
for c in cpio gzip sha256sum modinfo; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
[ "${#missing[@]}" -eq 0 ] || die "missing commands: ${missing[*]} (apt-get install cpio gzip coreutils kmod)"
if command -v file >/dev/null 2>&1 && [[ "$(file -L "$busybox")" == *'dynamically linked'* ]]; then
  die "$busybox is dynamically linked: apt-get install busybox-static"
fi

# Module files (possibly compressed) and their deps, in load order.
mod_files=()
declare -A loaded=()
for m in "${modules[@]}"; do
  f=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null | head -n1 || true)
  [ -n "$f" ] || die "module $m not found for kernel $kver"
  if [ "$f" = "(builtin)" ]; then loaded[$m]=1; continue; fi
  deps=$(modinfo -k "$kver" -F depends "$m" 2>/dev/null || true)
  IFS=',' read -r -a deplist <<<"$deps"
  for d in "${deplist[@]}"; do
    [ -z "$d" ] || [ -n "${loaded[$d]:-}" ] || die "module $m depends on $d, which is not loaded before it"
  done
  loaded[$m]=1
  mod_files+=("$m=$f")
done

# --- cache key and fast path ----------------------------------------------------------
hash_inputs=("${BASH_SOURCE[0]}" "$guest_dir"/* "$kernel" "$busybox")
for mf in "${mod_files[@]}"; do hash_inputs+=("${mf#*=}"); done
hash=$( { printf 'kver=%s modules=%s\n' "$kver" "${modules[*]}"
          printf 'cc=%s\n' "$cc_version"
          for f in "${hash_inputs[@]}"; do printf '%s ' "${f#"$script_dir"/}"; sha256sum < "$f" | cut -d' ' -f1; done
        } | sha256sum | cut -c1-16)
guest_cache="$cache_root/guest"
final="$guest_cache/$hash"

emit() {
  printf '{"kernel":"%s","initrd":"%s","cmdline":"%s","kernelVersion":"%s"}\n' \
    "$final/vmlinuz" "$final/initrd.img" "$cmdline" "$kver"
}
case "$final" in *[\"\\]*) die "cache path must not contain quotes or backslashes: $final" ;; esac

if [ -f "$final/stamp" ] && [ -f "$final/vmlinuz" ] && [ -f "$final/initrd.img" ]; then
  log "reusing cached guest ($final)"
  emit
  exit 0
fi

mkdir -p "$guest_cache"
started=$(date +%s.%N)
staging=$(mktemp -d "$guest_cache/.staging-$hash.XXXXXX")
chmod 0755 "$staging"
trap 'rm -rf -- "$staging"' EXIT
trap 'exit 130' INT TERM
root="$staging/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,lib/modules,lib/colo,www/cgi-bin}

# busybox and its applet links
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

# modules, decompressed, as lib/modules/<name>.ko; load order in /etc/colo-modules
: > "$root/etc/colo-modules"
for mf in "${mod_files[@]}"; do
  m=${mf%%=*}; f=${mf#*=}
  case "$f" in
    *.ko.xz)  xz -dc "$f" > "$root/lib/modules/$m.ko" ;;
    *.ko.zst) command -v zstd >/dev/null 2>&1 || die "$f is zstd-compressed: apt-get install zstd"
              zstd -qdc "$f" > "$root/lib/modules/$m.ko" ;;
    *.ko.gz)  gzip -dc "$f" > "$root/lib/modules/$m.ko" ;;
    *.ko)     cp "$f" "$root/lib/modules/$m.ko" ;;
    *) die "unexpected module file $f" ;;
  esac
  printf '%s\n' "$m" >> "$root/etc/colo-modules"
done

install -m 0755 "$guest_dir/init" "$root/init"
# The stream service: static, so the initramfs needs no libc.
"$cc" -static -Os -s -Wall -Wextra -Werror -o "$root/bin/colo-stream" "$guest_dir/colo-stream.c" >&2 ||
  die "could not compile scripts/guest/colo-stream.c with $cc -static (apt-get install libc6-dev)"
install -m 0755 "$guest_dir/status.cgi" "$root/www/cgi-bin/index.cgi"
install -m 0755 "$guest_dir/status.cgi" "$root/www/cgi-bin/status"
install -m 0755 "$guest_dir/records.cgi" "$root/www/cgi-bin/records"
install -m 0644 "$guest_dir/records.awk" "$root/lib/colo/records.awk"
install -m 0755 "$guest_dir/noise.cgi" "$root/www/cgi-bin/noise"
printf 'root:x:0:0:root:/:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

# cpio newc, gzip; stable order and owner so equal inputs give equal bytes
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
  | gzip -9n > "$staging/initrd.img"
cp "$kernel" "$staging/vmlinuz"

finished=$(date +%s.%N)
{
  printf 'kernel_version=%s\n' "$kver"
  printf 'kernel=%s\n' "$kernel"
  printf 'cmdline=%s\n' "$cmdline"
  printf 'modules=%s\n' "$(tr '\n' ' ' < "$root/etc/colo-modules")"
  bb_banner=$("$busybox" 2>&1 || true)
  printf 'busybox=%s\n' "${bb_banner%%$'\n'*}"
  printf 'cc=%s\n' "$cc_version"
  printf 'initrd_bytes=%s\n' "$(stat -c %s "$staging/initrd.img")"
  printf 'build_seconds=%s\n' "$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.2f", b - a }')"
  printf 'built_at=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$staging/stamp.tmp"
mv "$staging/stamp.tmp" "$staging/stamp"
rm -rf -- "$root"

# Atomic install. A dir without a stamp is junk from outside this script: replace it.
if [ -d "$final" ] && [ ! -f "$final/stamp" ]; then rm -rf -- "$final"; fi
if ! mv -T "$staging" "$final" 2>/dev/null; then
  # A concurrent run installed the same guest first: use it.
  [ -f "$final/stamp" ] || die "could not install $final"
  log "a concurrent run installed $final first"
else
  log "built guest in $final ($(stat -c %s "$final/initrd.img") bytes initrd)"
fi
emit
