#!/usr/bin/env bash
# Build colo's test QEMU: Debian's own QEMU source package for the installed
# qemu-system-x86 version, plus exactly two TCG-only COLO fixes from
# scripts/patches/ (BQL around qemu_savevm_live_state; TLB dirty reset on the
# fast bitmap-sync path). Built with GnuTLS (--enable-gnutls), as Debian's own
# build is, so tls-creds-x509 objects work (colo's tls: block). The virtio
# "disabled" flag bug is deliberately NOT fixed: colo must avoid and detect it on the QEMUs users actually run.
#
# Result (cached, reused by later runs):
#   ${COLO_CACHE:-$HOME/.cache/colo}/qemu/<debian-version>-<hash>/
#     bin/qemu-system-x86_64   the binary; it finds Debian's firmware (seabios, ipxe-qemu, qemu-system-data)
#                              itself, like Debian's build (--firmwarepath); `-L DIR` still works
#     stamp                    key=value build record, written last (its presence = complete)
#     patches/*.patch          our patches exactly as applied
#     debian-patches.txt       Debian series patches applied, in order
#     configure-args.txt       configure arguments used
#   <hash> = first 16 hex of sha256 over this script and scripts/patches/*.patch.
# The last line on stdout is the binary's absolute path. Build output goes to stderr.
#
# Usage: build-qemu.sh [--cached-only]
#   --cached-only   never build: print the cached binary's path, or exit 3 if there is none.
#
# Environment:
#   COLO_CACHE                   cache root (default $HOME/.cache/colo)
#   COLO_QEMU_DEBIAN_VERSION     Debian source version to build (default: the installed
#                                qemu-system-x86's source version)
#   COLO_BUILD_JOBS              ninja -j (default: nproc)
#   COLO_DEBIAN_MIRROR           deb-src URI for <codename> (default: from /etc/apt sources)
#   COLO_DEBIAN_SECURITY_MIRROR  deb-src URI for <codename>-security (default: likewise)
#   TMPDIR                       where the temporary build tree goes
#   COLO_KEEP_BUILD_DIR=1        keep the temporary build tree (for debugging)
#
# The system's apt configuration is never modified: sources, lists and caches
# for `apt-get source` live in a private directory inside the build tree.
set -euo pipefail

log() { printf 'build-qemu: %s\n' "$*" >&2; }
die() { printf 'build-qemu: error: %s\n' "$*" >&2; exit 1; }

cached_only=false
case "${1:-}" in
  '') ;;
  --cached-only) cached_only=true ;;
  *) die "usage: build-qemu.sh [--cached-only]" ;;
esac

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
patch_dir="$script_dir/patches"
cache_root="${COLO_CACHE:-$HOME/.cache/colo}"

shopt -s nullglob
our_patches=("$patch_dir"/*.patch)
shopt -u nullglob
[ "${#our_patches[@]}" -eq 2 ] || die "expected exactly 2 patches in $patch_dir, found ${#our_patches[@]}"

# --- which Debian version -----------------------------------------------------
deb_version="${COLO_QEMU_DEBIAN_VERSION:-}"
if [ -z "$deb_version" ]; then
  deb_version=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null || true)
  [ -n "$deb_version" ] || die "qemu-system-x86 is not installed (apt-get install qemu-system-x86), or set COLO_QEMU_DEBIAN_VERSION"
fi
case "$deb_version" in
  *[!A-Za-z0-9.:+~-]*) die "unexpected Debian version string: $deb_version" ;;
esac
ver_dir_name=${deb_version#*:}   # drop the epoch, as Debian file names do

# --- cache key and fast path ----------------------------------------------------
hash=$( { sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
          for p in "${our_patches[@]}"; do printf '%s ' "$(basename "$p")"; sha256sum "$p" | cut -d' ' -f1; done
        } | sha256sum | cut -c1-16)
qemu_cache="$cache_root/qemu"
final="$qemu_cache/$ver_dir_name-$hash"
binary="$final/bin/qemu-system-x86_64"

if [ -f "$final/stamp" ] && [ -x "$binary" ]; then
  log "reusing cached QEMU $deb_version ($final)"
  printf '%s\n' "$binary"
  exit 0
fi
if $cached_only; then
  log "no cached QEMU for $deb_version (key $hash) under $qemu_cache"
  exit 3
fi

# --- build dependencies ----------------------------------------------------------
missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_cmd cc build-essential
need_cmd make build-essential
need_cmd ninja ninja-build
need_cmd meson meson
need_cmd pkg-config pkg-config
need_cmd python3 python3
need_cmd xz xz-utils
need_cmd patch patch
need_cmd dpkg-source dpkg-dev
need_cmd apt-get apt
need_cmd flock util-linux
need_cmd nm binutils
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists glib-2.0 || missing+=(libglib2.0-dev)
  pkg-config --exists pixman-1 || missing+=(libpixman-1-dev)
  pkg-config --exists slirp || missing+=(libslirp-dev)
  pkg-config --exists zlib || missing+=(zlib1g-dev)
  pkg-config --exists gnutls || missing+=(libgnutls28-dev)
  pkg-config --exists libseccomp || missing+=(libseccomp-dev)
fi
[ -f /usr/include/libfdt.h ] || missing+=(libfdt-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  # shellcheck disable=SC2207
  uniq_missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  die "missing build dependencies: ${uniq_missing[*]}
  install them with: apt-get install ${uniq_missing[*]}
  (full list: build-essential ninja-build meson pkg-config libglib2.0-dev libpixman-1-dev libslirp-dev zlib1g-dev libfdt-dev libgnutls28-dev libseccomp-dev python3-venv xz-utils dpkg-dev)"
fi

mkdir -p "$qemu_cache"
# One build per cache key at a time; a concurrent run waits and then reuses.
exec 9>"$qemu_cache/.lock-$ver_dir_name-$hash"
flock 9
if [ -f "$final/stamp" ] && [ -x "$binary" ]; then
  log "reusing cached QEMU $deb_version ($final), built by a concurrent run"
  printf '%s\n' "$binary"
  exit 0
fi
[ ! -e "$final" ] || rm -rf -- "$final"   # incomplete leftovers (no stamp)

started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/colo-qemu-build.XXXXXX")
staging=$(mktemp -d "$qemu_cache/.staging-$ver_dir_name-$hash.XXXXXX")
chmod 0755 "$staging"
cleanup() {
  if [ "${COLO_KEEP_BUILD_DIR:-}" = 1 ]; then log "kept build tree $work"; else rm -rf -- "$work"; fi
  rm -rf -- "$staging"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log "building patched QEMU $deb_version in $work (cache key $hash)"

# --- private apt configuration: deb-src for <codename> and <codename>-security ----
codename=$( . /etc/os-release 2>/dev/null; printf '%s' "${VERSION_CODENAME:-}")
[ -n "$codename" ] || codename=bookworm
# Find the URIs the system uses for <codename> and <codename>-security (deb822 and
# one-line formats); fall back to deb.debian.org.
system_uri_for() {  # $1 = suite
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$suite" '
      function flush() { if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no") {
          n = split(suites, s, /[ \t]+/); for (i = 1; i <= n; i++) if (s[i] == suite) { split(uris, u, /[ \t]+/); print u[1]; found = 1; exit } }
        types = ""; suites = ""; uris = ""; enabled = "" }
      /^[ \t]*$/ { flush(); next }
      /^[Tt]ypes:/ { sub(/^[^:]*:[ \t]*/, ""); types = $0 }
      /^URIs:/ { sub(/^[^:]*:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^[^:]*:[ \t]*/, ""); suites = $0 }
      /^Enabled:/ { sub(/^[^:]*:[ \t]*/, ""); enabled = tolower($0) }
      END { if (!found) flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2 }'
  done
}
main_uri="${COLO_DEBIAN_MIRROR:-$(system_uri_for "$codename" | sed -n 1p)}"
sec_uri="${COLO_DEBIAN_SECURITY_MIRROR:-$(system_uri_for "$codename-security" | sed -n 1p)}"
main_uri="${main_uri:-http://deb.debian.org/debian}"
sec_uri="${sec_uri:-http://deb.debian.org/debian-security}"

apt_dir="$work/apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/preferences.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed_by=""
[ -f "$keyring" ] && signed_by="Signed-By: $keyring"
cat > "$apt_dir/sources.list.d/colo-qemu-src.sources" <<EOF
Types: deb-src
URIs: $main_uri
Suites: $codename
Components: main
$signed_by

Types: deb-src
URIs: $sec_uri
Suites: $codename-security
Components: main
$signed_by
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Acquire::Languages=none"
  -o "APT::Get::Only-Source=true"
)
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")

log "apt-get update (private lists: $main_uri $codename, $sec_uri $codename-security)"
apt-get "${apt_opts[@]}" -q update >&2 || die "apt-get update of the private deb-src lists failed"
mkdir -p "$work/dl"
log "apt-get source --download-only qemu=$deb_version"
(cd "$work/dl" && apt-get "${apt_opts[@]}" -q source --download-only "qemu=$deb_version" >&2) ||
  die "could not download Debian source package qemu=$deb_version (is it still in $codename or $codename-security? set COLO_QEMU_DEBIAN_VERSION to one that is)"

dsc=$(ls "$work/dl"/qemu_*.dsc)
log "unpacking $(basename "$dsc") (Debian patches applied separately below)"
dpkg-source -x --skip-patches "$dsc" "$work/src" >&2
src="$work/src"

# --- Debian's patch series --------------------------------------------------------
# Apply the whole debian/patches/series in order, as dpkg-source would: the
# v7.2.N.diff stable updates, Debian's source fixes, and skip-meson-pc-bios.diff
# (the DFSG tarball has no firmware blobs, e.g. edk2, so pc-bios/ is not entered).
# The openbios/slof/seabios patches touch roms/ only and do not affect this build.
: > "$staging/debian-patches.txt"
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  read -r p _ <<<"$line" || true
  [ -n "${p:-}" ] || continue
  patch -d "$src" -p1 --batch --forward --no-backup-if-mismatch --quiet < "$src/debian/patches/$p" >&2 ||
    die "Debian patch $p failed to apply"
  printf '%s\n' "$p" >> "$staging/debian-patches.txt"
done < "$src/debian/patches/series"
log "applied $(wc -l < "$staging/debian-patches.txt") Debian patches"

# Must not enter pc-bios/ (no edk2 blobs in the DFSG tarball). Debian's
# skip-meson-pc-bios.diff does this; make sure, in case a future series drops it.
if grep -q "^subdir('pc-bios')" "$src/meson.build"; then
  sed -i "s|^subdir('pc-bios')|#subdir('pc-bios')  # colo: no firmware blobs in the DFSG tarball|" "$src/meson.build"
  log "disabled subdir('pc-bios') in meson.build"
fi

# --- our two TCG fixes ----------------------------------------------------------
mkdir -p "$staging/patches"
for p in "${our_patches[@]}"; do
  patch -d "$src" -p1 --batch --forward --no-backup-if-mismatch < "$p" >&2 ||
    die "our patch $(basename "$p") does not apply to Debian's qemu $deb_version; it needs refreshing"
  cp "$p" "$staging/patches/"
  log "applied $(basename "$p")"
done

# --- configure + build ------------------------------------------------------------
configure_args=(
  --target-list=x86_64-softmmu
  --without-default-features
  --enable-slirp
  --enable-gnutls
  --enable-replication
  --enable-seccomp
  --enable-tcg
  --enable-kvm
  --enable-fdt=system
  --disable-docs
  --disable-werror
  --disable-install-blobs
  --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
  "--with-pkgversion=Debian $deb_version, colo TCG fixes"
)
printf '%s\n' "${configure_args[@]}" > "$staging/configure-args.txt"
mkdir -p "$src/build"
log "configure ${configure_args[*]}"
(cd "$src/build" && ../configure "${configure_args[@]}" >&2) || die "configure failed"
jobs="${COLO_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}"
log "ninja -j$jobs qemu-system-x86_64"
ninja -C "$src/build" -j"$jobs" qemu-system-x86_64 >&2 || die "ninja build failed"

built="$src/build/qemu-system-x86_64"
[ -x "$built" ] || die "build produced no $built"
version_out=$("$built" --version) || die "$built --version failed"
version_line=${version_out%%$'\n'*}
case "$version_line" in
  *"version 7.2"*) ;;
  *) die "unexpected version from the built binary: $version_line" ;;
esac
# Patch 0002 makes tlb_reset_dirty_range_all a global symbol: check it is in the binary.
nm "$built" > "$work/nm.txt" 2>/dev/null || die "nm failed on $built"
if grep -Eq ' T tlb_reset_dirty_range_all$' "$work/nm.txt"; then
  tlb_symbol=global
else
  die "built binary has no global tlb_reset_dirty_range_all symbol: patch 0002 is not in it"
fi

mkdir -p "$staging/bin"
cp "$built" "$staging/bin/qemu-system-x86_64"
finished=$(date +%s)
{
  printf 'debian_version=%s\n' "$deb_version"
  printf 'qemu_version=%s\n' "$version_line"
  printf 'cache_key=%s\n' "$hash"
  for p in "${our_patches[@]}"; do printf 'patch=%s sha256=%s\n' "$(basename "$p")" "$(sha256sum "$p" | cut -d' ' -f1)"; done
  printf 'debian_patches=%s\n' "$(wc -l < "$staging/debian-patches.txt")"
  printf 'tlb_reset_dirty_range_all_symbol=%s\n' "$tlb_symbol"
  printf 'virtio_disabled_flag_fix=absent\n'
  printf 'build_seconds=%s\n' "$((finished - started))"
  printf 'built_at=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$staging/stamp.tmp"
mv "$staging/stamp.tmp" "$staging/stamp"

# Atomic install: the cache dir appears complete or not at all.
mv -T "$staging" "$final"
log "built in $((finished - started)) s: $binary"
printf '%s\n' "$binary"
