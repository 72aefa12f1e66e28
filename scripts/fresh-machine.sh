#!/usr/bin/env bash
# A fresh Debian 12 machine, to prove what a new user gets: a pristine root file system
# (debootstrap, cached per release), a clean clone of this repository in it, and
# `make TARGET...` run there as root, with its own /proc, /run, /tmp, /dev/shm, PID
# namespace and cgroups.  No service has ever run in it, so nothing this machine acquired
# by running services (a /run/sshd, a daemon's state or users) can make a command pass.
#
#   scripts/fresh-machine.sh                     make ci: set-up, validators from scratch, the gate
#   scripts/fresh-machine.sh demo test           the two README commands (they boot a lab: see below)
#   scripts/fresh-machine.sh --rev HEAD~1 ci     another commit of this repository
#   scripts/fresh-machine.sh --keep ci           keep the machine's files afterwards, for a look
#
# Only the network comes from this machine: its resolver, the CA certificates added under
# /usr/local/share/ca-certificates and pip's setting to trust them (a network that inspects
# TLS needs them), and apt's leave to read archive snapshots.  A lab inside (demo, test)
# listens on this machine's loopback like any lab, so it refuses to start beside a running one.
# Needs root; where debootstrap or zstd is missing here, installs the lab's tools (scripts/setup-tools.sh lab).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
release=bookworm
image_version=1  # bump when the image's package list changes: the cached archive is rebuilt
packages=git,make,ca-certificates  # what a user needs to clone and type `make`; nothing else
mirror=http://deb.debian.org/debian
cache=${SCHOOLNET_FRESH_CACHE:-/var/cache/schoolnet-fresh}
archive=$cache/debian-$release-v$image_version.tar.zst

rev=HEAD
keep=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --rev) rev=${2:?--rev needs a commit}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        -*) echo "fresh-machine: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(ci)
for target in "${targets[@]}"; do
    case "$target" in
        ci|demo|test|lint|setup|validators|lab-tools|report-tools|netbox-tools|netbox) ;;
        *) echo "fresh-machine: unknown make target '$target'" >&2; exit 2 ;;
    esac
done

say() { printf 'fresh-machine: %s\n' "$*" >&2; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, namespaces, pivot_root)"; exit 1; }
commit=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") || { say "no commit '$rev' in $repo"; exit 2; }
command -v debootstrap >/dev/null && command -v zstd >/dev/null || "$repo/scripts/setup-tools.sh" lab

if [[ " ${targets[*]} " =~ \ (demo|test)\  ]]; then
    # the lab binds port 22 on 127.20-22.x.y, as a lab on this machine does: never two at once
    if ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qE '^127\.2[0-2]\.[0-9]+\.[0-9]+:22$'; then
        say "a lab is running on this machine (port 22 on 127.20-22.x.y): stop it first (schoolnet lab down)"
        exit 1
    fi
    # and a NetBox: the demo's and the tests' bind 127.0.0.1:8470-8473, 8480-8483 and 8490-8497
    if ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qE '^127\.0\.0\.1:84(7[0-3]|8[0-3]|9[0-7])$'; then
        say "a NetBox is running on this machine (127.0.0.1:8470-8497): stop it first (schoolnet netbox down)"
        exit 1
    fi
fi

started=$EPOCHREALTIME
if [ ! -f "$archive" ]; then
    say "building a pristine Debian 12 ($release) root file system with debootstrap (once per release)"
    mkdir -p "$cache"
    build=$(mktemp -d "$cache/.build.XXXXXX")
    trap 'rm -rf "$build"' EXIT
    debootstrap --variant=minbase --include="$packages" "$release" "$build/root" "$mirror" >"$build/log" 2>&1 \
        || { tail -20 "$build/log" >&2; say "debootstrap failed"; exit 1; }
    tar --zstd -cpf "$build/image.tar.zst" -C "$build/root" .
    mv "$build/image.tar.zst" "$archive"
    rm -rf "$build"
    trap - EXIT
    say "cached $archive ($(du -h "$archive" | cut -f1)) in $(elapsed "$started") s"
fi

work=$(mktemp -d /var/tmp/schoolnet-fresh.XXXXXX)
root=$work/root
name=schoolnet-fresh-$$
cgroups=()

cleanup() {
    # back out of the machine's cgroups, so they can be removed; its mounts lived in its own mount
    # namespace and died with it (checked before anything is deleted)
    for dir in "${cgroups[@]}"; do echo $$ > "$(dirname "$dir")/cgroup.procs"; done
    for dir in "${cgroups[@]}"; do
        for _ in $(seq 100); do
            find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
            [ -d "$dir" ] || break
            sleep 0.1
        done
        [ ! -d "$dir" ] || say "left $dir (still holds processes?)"
    done
    if grep -qF " $work" /proc/self/mountinfo; then
        say "something is still mounted under $work: not deleting it"
    elif [ $keep -eq 1 ]; then
        say "kept the machine's files in $root"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

mkdir -p "$root"
tar --zstd -xpf "$archive" -C "$root"

# the network, and only the network, comes from this machine
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp -p /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
chroot "$root" update-ca-certificates >/dev/null 2>&1
[ ! -f /etc/pip.conf ] || grep -E '^\[global\]|^cert *=' /etc/pip.conf > "$root/etc/pip.conf"
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://security.debian.org/debian-security %s-security main\n' \
    "$mirror" "$release" "$mirror" "$release" "$release" > "$root/etc/apt/sources.list"
printf 'Acquire::Check-Valid-Until "false";\n' > "$root/etc/apt/apt.conf.d/10fresh-machine-snapshots"

git clone --quiet --no-hardlinks "$repo" "$root/root/schoolnet"
# the user types `make TARGET` for each target in turn, in the clone; each one's time is said
cat > "$root/root/.make-each" <<'EOF'
cd /root/schoolnet || exit 1
for target; do
    started=$EPOCHREALTIME
    make "$target" || exit
    echo "fresh-machine: make $target passed in $(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s" >&2
done
EOF
git -C "$root/root/schoolnet" checkout --quiet --detach "$commit"
say "machine ready in $(elapsed "$started") s: Debian $(cat "$root/etc/debian_version"), clean clone at ${commit:0:12}"

# mount point, type and options of each cgroup hierarchy this machine mounts
cgroup_mounts() {
    awk '{ n = index($0, " - "); split(substr($0, 1, n - 1), a, " "); split(substr($0, n + 3), b, " ")
           if (b[1] == "cgroup" || b[1] == "cgroup2") print a[5], b[1], b[3] }' /proc/self/mountinfo
}
# A cgroup of its own, below ours, in the hierarchies a lab uses (cgroup2, name=systemd), made the
# root of the machine's cgroup namespace: a lab inside names its hosts' cgroups as a lab here
# would, and the two must never meet.
while read -r point type options; do
    if [ "$type" = cgroup2 ]; then key=""; elif [[ ,$options, == *,name=systemd,* ]]; then key=name=systemd
    else continue; fi
    current=$(awk -F: -v k="$key" '$2 == k { print $3 }' /proc/self/cgroup)
    dir=$point${current%/}/$name
    mkdir "$dir"
    cgroups+=("$dir")
    echo $$ > "$dir/cgroup.procs"
done < <(cgroup_mounts)
cgroup_list=$(cgroup_mounts | tr ' ' '|')

inside='set -e
root=$1; shift
mount --bind "$root" "$root"  # on a machine, / is a mount point (unshare --propagation needs one)
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o mode=755 tmpfs "$root/sys/fs/cgroup"
for entry in $CGROUP_MOUNTS; do
    IFS="|" read -r point type options <<EOF
$entry
EOF
    mkdir -p "$root$point"
    mount -t "$type" -o "$options" "$type" "$root$point"
done
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
hostname fresh-debian12
# its root becomes the root of its mount namespace, as on a machine (a chroot would not be: the kernel
# refuses user namespaces in one, and a test makes them)
cd "$root"
mkdir -p .old-root
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root
# a user types make at a terminal: signals as they are there (a background job here ignores SIGINT)
exec /usr/bin/env -i --default-signal PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" /bin/bash /root/.make-each "$@"'

say "running: make ${targets[*]}"
ran=$EPOCHREALTIME
status=0
CGROUP_MOUNTS=$cgroup_list unshare --mount --pid --fork --cgroup --uts --propagation private \
    bash -c "$inside" bash "$root" "${targets[@]}" &
machine=$!
# Interrupted: end the machine as a power cut would.  Its first process is the init of its PID
# namespace; when that goes, the kernel ends everything the machine started, its lab included.
power_off() {
    local init
    init=$(cat "/proc/$machine/task/$machine/children" 2>/dev/null || true)
    [ -z "$init" ] || kill -KILL $init 2>/dev/null || true
    wait "$machine" 2>/dev/null || true
    say "interrupted: the machine is off"
    exit 130
}
trap power_off INT TERM
wait "$machine" || status=$?
trap - INT TERM
if [ $status -eq 0 ]; then
    say "✓ make ${targets[*]} passed on a fresh Debian 12 machine in $(elapsed "$ran") s (total $(elapsed "$started") s)"
else
    say "✗ make ${targets[*]} failed (exit $status) on a fresh Debian 12 machine after $(elapsed "$ran") s"
fi
exit $status
