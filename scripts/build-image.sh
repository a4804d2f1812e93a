#!/usr/bin/env bash
# Builds flowaudit's image (the Dockerfile) without a container registry, then checks it
# (docs/image.md): base images made here from Debian 13 packages with mmdebstrap, imported into
# buildah's storage, `buildah bud --isolation chroot`, then in the built image: `flowaudit
# --version`, the user, the loader and the cap addon, `analyze` of the bundled Apigee sample
# against its golden summary, and no compiler in the runtime stage. Needs root and apt (Debian).
#
# Base images are cached by their package lists: as tarballs in $FLOWAUDIT_IMAGE_CACHE (default
# /var/cache/flowaudit-image) and as images in buildah's storage, so a second run only rebuilds
# the layers whose inputs changed (`buildah bud --layers`). Delete the cache to take newer Debian
# packages. Lines starting "== " are the results (test/deploy/image.test.ts reads them).
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=trixie
MIRRORS=("deb http://deb.debian.org/debian $SUITE main" "deb http://deb.debian.org/debian-security $SUITE-security main")
CACHE=${FLOWAUDIT_IMAGE_CACHE:-/var/cache/flowaudit-image}
VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
IMAGE=localhost/flowaudit:$VERSION
SAMPLE=test/fixtures/profiles/apigee-hybrid-1.4
GOLDEN=test/golden/analyze/apigee-hybrid-1.4/summary.txt

result() { printf '== %s\n' "$*"; }
fail() { printf 'build-image: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (mmdebstrap, buildah's storage, mounting the image)"

# buildah (with uidmap, its dependency) and mmdebstrap; as root, buildah's overlay driver is the
# kernel's, so fuse-overlayfs is not needed, and --isolation chroot needs no runc or crun.
if ! command -v buildah >/dev/null || ! command -v mmdebstrap >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends buildah mmdebstrap debian-archive-keyring >/dev/null
fi

# The package lists are the Dockerfile's (one place): the bases hold them, so its install steps
# find nothing missing and need no network.
dockerfile_arg() { sed -n "s/^ARG $1=\"\(.*\)\"$/\1/p" Dockerfile; }

# base_image KIND VARIANT PACKAGES...: prints the tag of a base image holding PACKAGES, made by
# mmdebstrap (or taken from the caches).
base_image() {
  local kind=$1 variant=$2; shift 2
  local key; key=$(printf '%s\n' "$SUITE" "$variant" "$@" | sha256sum | cut -c1-12)
  local tag=localhost/flowaudit-$kind-base:$SUITE-$key tar=$CACHE/$kind-base-$SUITE-$key.tar
  if buildah inspect --type image "$tag" >/dev/null 2>&1; then
    echo "$tag"; return
  fi
  if [ ! -f "$tar" ]; then
    mkdir -p "$CACHE"
    rm -f "$tar.part"
    # Documentation and translations are left out of both bases (copyright files kept); dpkg
    # skips fsync, as Docker's Debian images do (a half-made base is thrown away anyway).
    mmdebstrap --quiet --format=tar --variant="$variant" --include="$(IFS=,; echo "$*")" \
      --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt=force-unsafe-io \
      "$SUITE" "$tar.part" "${MIRRORS[@]}" >&2
    mv "$tar.part" "$tar"
  fi
  local ctr; ctr=$(buildah from --pull=never scratch)
  buildah add --quiet "$ctr" "$tar" / >/dev/null
  buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
  echo "$tag"
}

# The runtime base needs no apt (Debian's "essential" set plus the packages); the build base has it.
start=$SECONDS
# shellcheck disable=SC2046 # the package lists are words
build_base=$(base_image build apt $(dockerfile_arg BUILD_PACKAGES))
# shellcheck disable=SC2046
runtime_base=$(base_image runtime essential $(dockerfile_arg RUNTIME_PACKAGES))
result "base images: $build_base $runtime_base ($((SECONDS - start)) s)"

# npm in the build trusts this host's CA bundle too (Node.js has its own list, not the system's): a
# network whose TLS goes through an inspecting proxy works for it as for this host.
HOST_CA=/etc/ssl/certs/ca-certificates.crt
ca_args=()
[ ! -f "$HOST_CA" ] || ca_args=(-v "$HOST_CA:/run/host-ca-certificates.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/host-ca-certificates.crt)
start=$SECONDS
buildah bud --quiet --isolation chroot --layers --pull=never "${ca_args[@]}" \
  --build-arg BUILD_IMAGE="$build_base" --build-arg RUNTIME_IMAGE="$runtime_base" --build-arg VERSION="$VERSION" \
  -t "$IMAGE" . >/dev/null
result "image: $IMAGE, $(buildah images --format '{{.Size}}' "$IMAGE") ($((SECONDS - start)) s)"

ctr=$(buildah from --pull=never "$IMAGE")
base_ctr=
mnt=
cleanup() {
  [ -z "$mnt" ] || buildah umount "$ctr" >/dev/null
  buildah rm "$ctr" >/dev/null
  [ -z "$base_ctr" ] || buildah rm "$base_ctr" >/dev/null
}
trap cleanup EXIT
# As the image's USER, in chroot isolation (podman run does not work on this machine).
in_image() { buildah run --isolation chroot "$@"; }

version=$(in_image "$ctr" -- flowaudit --version)
[ "$version" = "$VERSION" ] || fail "flowaudit --version in the image says '$version', package.json $VERSION"
result "flowaudit --version: $version"
result "uid: $(in_image "$ctr" -- node -e 'process.stdout.write(process.getuid() + ":" + process.getgid())')"

# What the engines can load as the image's user, without capabilities: the loader runs (its
# libraries are there) and stops at its capability check; watch finds the loader through the
# package root (else "the eBPF loader is not built"); the pcap engine loads cap and libpcap
# (else "live capture not installed") and stops at the socket.
set +e
loader_line=$(in_image "$ctr" -- /usr/lib/flowaudit/flowaudit-loader 2>&1); loader_status=$?
ebpf_line=$(in_image "$ctr" -- flowaudit watch --engine ebpf -i eth0 --rules apigee-hybrid-1.4 2>&1); ebpf_status=$?
pcap_line=$(in_image "$ctr" -- flowaudit watch --engine pcap -i lo --rules apigee-hybrid-1.4 2>&1); pcap_status=$?
set -e
result "loader: exit $loader_status: $loader_line"
result "watch --engine ebpf: exit $ebpf_status: $ebpf_line"
result "watch --engine pcap: exit $pcap_status: $pcap_line"

# The README's sample, run as the golden test runs it (from a checkout's root, relative paths):
# its summary must be the golden one byte for byte. Exit 1: the sample has deliberate violations.
summary=$(mktemp)
set +e
in_image -v "$PWD/test/fixtures/profiles:/work/test/fixtures/profiles:ro" --workingdir /work "$ctr" -- \
  flowaudit analyze "$SAMPLE.pcapng" --rules apigee-hybrid-1.4 --inventory "$SAMPLE.inventory.yaml" -q >"$summary"
analyze_status=$?
set -e
if cmp -s "$summary" "$GOLDEN"; then same=same; else same=DIFFERENT; diff "$GOLDEN" "$summary" | head -20 >&2; fi
rm -f "$summary"
result "analyze $SAMPLE.pcapng: exit $analyze_status, summary $same as $GOLDEN"
if [ "$analyze_status" != 1 ] || [ "$same" != same ]; then fail "analyze of the sample in the image is not the golden run"; fi

# No compiler or build tool in the runtime stage: no program of such a name (outside /usr/share,
# where Debian's nodejs brings corepack's npm shims, which would fetch npm, and /var, dpkg's file
# lists), no such Debian package, no module besides the CLI's two. The same check on the build
# base is its control: it must find them there.
TOOL_NAMES=(cc c++ gcc 'gcc-[0-9]*' g++ 'g++-[0-9]*' cpp 'clang*' 'llc*' ld 'ld.bfd' 'ld.gold' as make bpftool protoc-c tsc esbuild vitest npm npx node-gyp)
TOOL_PACKAGES='^(gcc|gcc-[0-9]+|g\+\+|g\+\+-[0-9]+|cpp|cpp-[0-9]+|clang|clang-[0-9]+|llvm|llvm-[0-9]+|binutils|make|npm|node-gyp|bpftool|protobuf-c-compiler|.*-dev)$'
tools_in() {
  local root=$1 names=() n
  for n in "${TOOL_NAMES[@]}"; do names+=(-o -name "$n"); done
  { find "$root" -xdev \( -path "$root/usr/share" -o -path "$root/var" \) -prune -o \
      \( -type f -perm /111 -o -type l \) \( "${names[@]:1}" \) -printf '%f\n'
    dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Package}\n' | sed -nE "s/$TOOL_PACKAGES/dpkg:\\1/p"
    [ ! -d "$root/usr/lib/flowaudit/node_modules" ] ||
      find "$root/usr/lib/flowaudit/node_modules" -mindepth 1 -maxdepth 1 -printf 'node_modules/%f\n' | sed -E '/^node_modules\/(cap|bcryptjs)$/d'
  } | sort -u | tr '\n' ' ' | sed 's/ $//'
}
mnt=$(buildah mount "$ctr")
runtime_tools=$(tools_in "$mnt")
base_ctr=$(buildah from --pull=never "$build_base")
build_tools=$(tools_in "$(buildah mount "$base_ctr")")
buildah umount "$base_ctr" >/dev/null
result "build tools in the build base (control): ${build_tools:-none}"
result "build tools in the runtime image: ${runtime_tools:-none}"
[ -n "$build_tools" ] || fail "the build-tool check found nothing in the build base: the check is broken"
[ -z "$runtime_tools" ] || fail "the runtime image holds build tools: $runtime_tools"
result "ok"
