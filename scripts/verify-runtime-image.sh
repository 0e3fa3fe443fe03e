#!/usr/bin/env bash
# Proves the container image without a Docker engine.
#
# Reads the Dockerfile, builds the binary with the build stage's `swift build` line, makes a Debian root file
# system with debootstrap (variant minbase) holding only the packages the runtime stage's `apt-get install`
# names, replays the runtime stage's other RUN lines, COPY --from=build, ENV, USER, WORKDIR and VOLUME, and
# then, in fresh network, PID and mount namespaces (as a container would be) and as the image's user:
#   - every shared library of the binary resolves inside the root file system (ldd);
#   - the HEALTHCHECK command fails while no server runs;
#   - ENTRYPOINT + CMD start the server as PID 1 on a fresh, empty volume with a read-only root file system;
#   - it listens on 0.0.0.0 and the HEALTHCHECK command passes;
#   - GET /v1/agreements/gsomia/status?asOf=2019-08-22 answers state inForce, noticeDeadline 2019-08-24;
#   - the database was created on the volume, owned by the image's user;
#   - SIGTERM stops the server gracefully (exit status 0) within the grace period;
#   - a restart on the same volume serves the same data without seeding again.
# It prints what it checked and the image's size on disk, and exits non-zero on the first failure.
#
# Needs: root, debootstrap, unshare/nsenter (util-linux), ip (iproute2), curl, python3, the Swift toolchain
# matching the Dockerfile's build image, the build stage's -dev packages, and access to a Debian mirror.
#
# Environment:
#   PACTA_DOCKERFILE       Dockerfile to check (default: ./Dockerfile). Point it at an edited copy to see the
#                          script fail, e.g. with a runtime library removed.
#   PACTA_IMAGE_WORKDIR    where the root file system, .deb cache and volume go (default: .build-image)
#   PACTA_SCRATCH_PATH     swift build scratch path (default: .build-release; never .build)
#   PACTA_DEBIAN_MIRROR    Debian mirror (default: the first deb.debian.org-style URI in the apt sources,
#                          else http://deb.debian.org/debian)
#   PACTA_SKIP_BUILD=1     reuse the binary already in the scratch path
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
DOCKERFILE=${PACTA_DOCKERFILE:-$REPO/Dockerfile}
WORK=${PACTA_IMAGE_WORKDIR:-$REPO/.build-image}
SCRATCH=${PACTA_SCRATCH_PATH:-$REPO/.build-release}
GRACE_SECONDS=20

step() { printf '\n== %s\n' "$*"; }
ok() { printf '  ok   %s\n' "$*"; }
fail() { printf '  FAIL %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot and namespaces need it)"
for tool in debootstrap unshare nsenter ip curl python3 swift; do
    command -v "$tool" >/dev/null || fail "missing tool: $tool"
done
[ -f "$DOCKERFILE" ] || fail "no Dockerfile at $DOCKERFILE"
case "$SCRATCH" in */.build | .build) fail "PACTA_SCRATCH_PATH must not be .build" ;; esac

# ---- read the Dockerfile ---------------------------------------------------------------------------------------
step "Reading $DOCKERFILE"
PARSED=$(python3 - "$DOCKERFILE" <<'PY'
import json, re, shlex, sys

def logical_lines(text):
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines

def die(message):
    print(f"echo {shlex.quote('Dockerfile: ' + message)} >&2; exit 1")
    sys.exit(0)

stages = []
for line in logical_lines(open(sys.argv[1]).read()):
    keyword, _, rest = line.partition(" ")
    keyword = keyword.upper()
    rest = rest.strip()
    if keyword == "FROM":
        words = rest.split()
        stages.append({"image": words[0], "name": words[2] if len(words) >= 3 and words[1].upper() == "AS" else None,
                       "instructions": []})
    elif stages:
        stages[-1]["instructions"].append((keyword, rest))
if len(stages) < 2:
    die("expected a build stage and a runtime stage")
build, runtime = stages[0], stages[-1]
out = {}

def exec_form(text, what):
    try:
        value = json.loads(text)
    except ValueError:
        die(f"{what} must use the exec (JSON array) form, got: {text}")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        die(f"{what} must be a JSON array of strings")
    return value

def split_commands(command):
    return [part.strip() for part in re.split(r"&&|;", command) if part.strip()]

# Build stage: the -dev packages it installs and its `swift build` line.
build_packages, build_args = [], None
for keyword, rest in build["instructions"]:
    if keyword != "RUN":
        continue
    for part in split_commands(rest):
        words = shlex.split(part)
        if words[:2] == ["apt-get", "install"]:
            build_packages += [w for w in words[2:] if not w.startswith("-")]
        if words[:2] == ["swift", "build"] and build_args is None and "--show-bin-path" not in words:
            build_args = words[2:]
if build_args is None:
    die("no `RUN swift build ...` in the build stage")
if any(a in ("--scratch-path", "--build-path") for a in build_args):
    die("the build stage's swift build must not set a scratch path")

# Runtime stage.
packages, runs, env, copies = [], [], [], []
user = workdir = healthcheck = None
entrypoint, cmd, exposes, volumes = [], [], [], []
for keyword, rest in runtime["instructions"]:
    if keyword == "RUN":
        if "apt-get" in rest:
            for part in split_commands(rest):
                words = shlex.split(part)
                if words[:2] == ["apt-get", "install"]:
                    packages += [w for w in words[2:] if not w.startswith("-")]
                elif words[:1] == ["apt-get"] or words[:2] == ["rm", "-rf"]:
                    continue  # the image's apt housekeeping; debootstrap does the installing here
                else:
                    die(f"keep non-apt commands out of the runtime stage's apt-get RUN: {part}")
        else:
            runs.append(rest)
    elif keyword == "ENV":
        words = shlex.split(rest)
        if words and "=" not in words[0]:
            env.append((words[0], " ".join(words[1:])))
        else:
            for word in words:
                key, _, value = word.partition("=")
                env.append((key, value))
    elif keyword == "COPY":
        words = shlex.split(rest)
        sources = [w for w in words if not w.startswith("--")]
        flags = [w for w in words if w.startswith("--")]
        if not any(f.startswith("--from=") for f in flags):
            die(f"the verify script only knows COPY --from=<build stage>: COPY {rest}")
        if len(sources) != 2:
            die(f"use one source per COPY: COPY {rest}")
        copies.append(sources)
    elif keyword == "ADD":
        die("ADD is not supported by the verify script; use COPY --from")
    elif keyword == "USER":
        user = rest
    elif keyword == "WORKDIR":
        workdir = rest
    elif keyword == "HEALTHCHECK":
        match = re.search(r"\bCMD\s+(\[.*\])\s*$", rest)
        if not match:
            die("HEALTHCHECK must be `HEALTHCHECK [options] CMD [\"...\"]`")
        healthcheck = exec_form(match.group(1), "HEALTHCHECK CMD")
    elif keyword == "ENTRYPOINT":
        entrypoint = exec_form(rest, "ENTRYPOINT")
    elif keyword == "CMD":
        cmd = exec_form(rest, "CMD")
    elif keyword == "EXPOSE":
        exposes += [p.split("/")[0] for p in rest.split()]
    elif keyword == "VOLUME":
        volumes += exec_form(rest, "VOLUME") if rest.startswith("[") else rest.split()
    elif keyword in ("ARG", "LABEL", "STOPSIGNAL", "SHELL"):
        pass
    else:
        die(f"the verify script does not know runtime instruction {keyword}")

match = re.fullmatch(r"debian:(\w+)(-slim)?", runtime["image"])
if not match:
    die(f"runtime image must be debian:<suite>[-slim], got {runtime['image']}")
build_match = re.fullmatch(r"swift:(\d+\.\d+)(?:\.\d+)?-(\w+)", build["image"])
if not build_match:
    die(f"build image must be swift:<version>-<suite>, got {build['image']}")
for name, value in [("user", user), ("healthcheck", healthcheck)]:
    if not value:
        die(f"the runtime stage needs a {name.upper()}")
if not entrypoint + cmd:
    die("the runtime stage needs ENTRYPOINT/CMD")
if not packages:
    die("no `apt-get install` in the runtime stage")
if len(exposes) != 1 or len(volumes) != 1:
    die("expected exactly one EXPOSE and one VOLUME")

def array(name, values):
    print(f"{name}=(" + " ".join(shlex.quote(v) for v in values) + ")")

print(f"RUNTIME_IMAGE={shlex.quote(runtime['image'])}")
print(f"BUILD_IMAGE={shlex.quote(build['image'])}")
print(f"SUITE={shlex.quote(match.group(1))}")
print(f"BUILD_SWIFT={shlex.quote(build_match.group(1))}")
print(f"BUILD_SUITE={shlex.quote(build_match.group(2))}")
array("BUILD_ARGS", build_args)
array("BUILD_PACKAGES", build_packages)
array("RUNTIME_PACKAGES", packages)
array("RUNTIME_RUNS", runs)
array("IMAGE_ENV", [f"{k}={v}" for k, v in env])
array("COPY_SOURCES", [c[0] for c in copies])
array("COPY_DESTS", [c[1] for c in copies])
array("HEALTHCHECK_CMD", healthcheck)
array("START_CMD", entrypoint + cmd)
print(f"IMAGE_USER={shlex.quote(user)}")
print(f"IMAGE_WORKDIR={shlex.quote(workdir or '/')}")
print(f"IMAGE_PORT={shlex.quote(exposes[0])}")
print(f"IMAGE_VOLUME={shlex.quote(volumes[0])}")
PY
)
eval "$PARSED"
ok "build stage: $BUILD_IMAGE, swift build ${BUILD_ARGS[*]}"
ok "runtime stage: $RUNTIME_IMAGE, apt-get install ${RUNTIME_PACKAGES[*]}"
ok "user $IMAGE_USER, workdir $IMAGE_WORKDIR, volume $IMAGE_VOLUME, port $IMAGE_PORT"
ok "start: ${START_CMD[*]}; health check: ${HEALTHCHECK_CMD[*]}"

# ---- the host must match the build image -------------------------------------------------------------------
step "Checking that this host matches the build image"
. /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = "$BUILD_SUITE" ] \
    || fail "host is ${PRETTY_NAME:-unknown}; the build image is Debian $BUILD_SUITE (glibc must match)"
ok "host is $PRETTY_NAME"
HOST_SWIFT=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -1)
[ "$HOST_SWIFT" = "$BUILD_SWIFT" ] || fail "host Swift is $HOST_SWIFT; the build image has Swift $BUILD_SWIFT"
ok "Swift $(swift --version 2>&1 | sed -n 's/.*Swift version \([^ ]*\).*/\1/p' | head -1) (build image: $BUILD_SWIFT)"
for package in "${BUILD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || fail "the build stage installs $package; install it here too (apt-get install $package)"
    ok "build dependency $package is installed"
done

# ---- build -----------------------------------------------------------------------------------------------------
step "Building: swift build ${BUILD_ARGS[*]} --scratch-path $SCRATCH"
if [ "${PACTA_SKIP_BUILD:-0}" != 1 ]; then
    mkdir -p "$WORK"
    swift build "${BUILD_ARGS[@]}" --scratch-path "$SCRATCH" >"$WORK/build.log" 2>&1 \
        || { grep -E 'error:' "$WORK/build.log" | head -20 >&2; fail "swift build failed (log: $WORK/build.log)"; }
    tail -1 "$WORK/build.log" | sed 's/^/       /'
fi
BIN_DIR=$(swift build "${BUILD_ARGS[@]}" --scratch-path "$SCRATCH" --show-bin-path)
BINARY=$BIN_DIR/pacta
[ -x "$BINARY" ] || fail "no binary at $BINARY"
ok "binary $BINARY ($(stat -c %s "$BINARY") bytes)"
echo "  the binary's dynamic dependencies (host ldd):"
ldd "$BINARY" 2>&1 | sed "s/^/       /" || true
SWIFT_ROOT=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")

# ---- the runtime root file system ------------------------------------------------------------------------------
if [ -z "${PACTA_DEBIAN_MIRROR:-}" ]; then
    PACTA_DEBIAN_MIRROR=$(grep -rhoE '(URIs:|deb)[[:space:]]+https?://[^[:space:]]+/debian/?([[:space:]]|$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | awk '{print $2}' | head -1 || true)
    PACTA_DEBIAN_MIRROR=${PACTA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
fi
ROOTFS=$WORK/rootfs
step "Making the $RUNTIME_IMAGE root file system with debootstrap ($SUITE, minbase, $PACTA_DEBIAN_MIRROR)"
mkdir -p "$WORK/debs"
if [ -e "$ROOTFS" ]; then
    grep -q " $ROOTFS[/ ]" /proc/self/mountinfo && fail "something is mounted under $ROOTFS; unmount it first"
    rm -rf --one-file-system "$ROOTFS"
fi
INCLUDE=$(IFS=,; echo "${RUNTIME_PACKAGES[*]}")
debootstrap --variant=minbase --include="$INCLUDE" --cache-dir="$WORK/debs" \
    "$SUITE" "$ROOTFS" "$PACTA_DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap failed (log: $WORK/debootstrap.log)"; }
for package in "${RUNTIME_PACKAGES[@]}"; do
    chroot "$ROOTFS" dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || fail "$package is not installed in the root file system"
done
ok "minbase + ${RUNTIME_PACKAGES[*]}"
# What the runtime stage's apt RUN removes, and what debian:*-slim leaves out (debuerreotype's slimify list:
# documentation, manuals and translations; copyright files stay).
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb
find "$ROOTFS/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOTFS"/usr/share/{man,info,groff,linda,locale}/* "$ROOTFS"/usr/share/lintian/overrides/*
BASE_BYTES=$(du -sb "$ROOTFS" | cut -f1)
ok "apt lists and caches removed; documentation, manuals and translations removed as in debian:$SUITE-slim"

in_root() { env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin chroot "$ROOTFS" /bin/sh -c "$1"; }
for run in "${RUNTIME_RUNS[@]}"; do
    in_root "$run" || fail "RUN failed in the root file system: $run"
    ok "RUN $run"
done

SHIPPED_BYTES=0
for i in "${!COPY_SOURCES[@]}"; do
    source=${COPY_SOURCES[$i]} dest=${COPY_DESTS[$i]}
    case "$(basename "$source")" in
        pacta) local_file=$BINARY ;;
        swift-backtrace-static) local_file=$SWIFT_ROOT/libexec/swift/linux/swift-backtrace-static ;;
        *) fail "the verify script does not know how the build stage makes $source; teach it" ;;
    esac
    [ -f "$local_file" ] || fail "missing $local_file"
    case "$dest" in */) dest=$dest$(basename "$source") ;; esac
    install -D -m 0755 -o root -g root "$local_file" "$ROOTFS$dest"
    SHIPPED_BYTES=$((SHIPPED_BYTES + $(stat -c %s "$local_file")))
    ok "COPY $source -> $dest"
done
TOTAL_BYTES=$(du -sb "$ROOTFS" | cut -f1)

USER_NAME=${IMAGE_USER%%:*}
USER_UID=$(awk -F: -v u="$USER_NAME" '$1 == u {print $3}' "$ROOTFS/etc/passwd")
USER_GID=$(awk -F: -v u="$USER_NAME" '$1 == u {print $4}' "$ROOTFS/etc/passwd")
[ -n "$USER_UID" ] || fail "user $USER_NAME does not exist in the root file system"
[ "$USER_UID" != 0 ] || fail "the image's user is root"
ok "user $USER_NAME is uid $USER_UID, gid $USER_GID (not root)"

step "Checking the binary's shared libraries inside the root file system"
LDD_OUT=$(chroot "$ROOTFS" /usr/bin/ldd "${START_CMD[0]}" 2>&1) || true
echo "$LDD_OUT" | sed 's/^/       /'
if echo "$LDD_OUT" | grep -q "not found"; then
    fail "libraries missing from the runtime stage: $(echo "$LDD_OUT" | grep 'not found' | awk '{print $1}' | xargs)"
fi
ok "every shared library resolves"

# ---- run it as a container would -------------------------------------------------------------------------------
step "Running the image's commands in new network, PID and mount namespaces, as $USER_NAME"
VOLUME_DIR=$WORK/volume
rm -rf --one-file-system "$VOLUME_DIR"
mkdir -p "$VOLUME_DIR"
# A new named volume takes the owner of the image's directory.
chown --reference="$ROOTFS$IMAGE_VOLUME" "$VOLUME_DIR"
chmod --reference="$ROOTFS$IMAGE_VOLUME" "$VOLUME_DIR"

export ROOTFS VOLUME_DIR IMAGE_VOLUME IMAGE_WORKDIR IMAGE_PORT USER_UID USER_GID GRACE_SECONDS WORK
export PARSED_ARRAYS
PARSED_ARRAYS=$(declare -p IMAGE_ENV HEALTHCHECK_CMD START_CMD)
set +e
unshare --net --pid --mount --fork --mount-proc --kill-child bash -euo pipefail <<'INNER'
eval "$PARSED_ARRAYS"
ok() { printf '  ok   %s\n' "$*"; }
fail() { printf '  FAIL %s\n' "$*" >&2; exit 1; }

ip link set lo up
# Container-like mounts: the image read-only (as with `read_only: true`), the volume, /proc, /dev, a tmpfs /tmp.
mount --bind "$ROOTFS" "$ROOTFS"
mount -o remount,bind,ro "$ROOTFS"
mount --bind "$VOLUME_DIR" "$ROOTFS$IMAGE_VOLUME"
mount -t proc proc "$ROOTFS/proc"
mount -t tmpfs -o mode=1777,size=64m tmpfs "$ROOTFS/tmp"
ok "loopback only network; read-only root; $VOLUME_DIR mounted at $IMAGE_VOLUME"

as_image() {
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=pacta HOME="$IMAGE_VOLUME" \
        "${IMAGE_ENV[@]}" chroot --userspec="$USER_UID:$USER_GID" --groups="$USER_GID" "$ROOTFS" \
        /usr/bin/env --chdir="$IMAGE_WORKDIR" "$@"
}

if message=$(as_image "${HEALTHCHECK_CMD[@]}" 2>&1); then
    fail "the health check passed with no server running"
fi
ok "health check fails while no server runs: $message"

SERVER_PID=
start_server() {
    # unshare --pid --fork: the server is PID 1 of its own PID namespace, as in a container.
    unshare --pid --fork --kill-child env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOSTNAME=pacta HOME="$IMAGE_VOLUME" "${IMAGE_ENV[@]}" \
        chroot --userspec="$USER_UID:$USER_GID" --groups="$USER_GID" "$ROOTFS" \
        /usr/bin/env --chdir="$IMAGE_WORKDIR" "${START_CMD[@]}" >>"$1" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 60); do
        if as_image "${HEALTHCHECK_CMD[@]}" >/dev/null 2>&1; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$1" >&2; fail "the server exited during start"; }
        sleep 0.5
    done
    cat "$1" >&2
    fail "the health check did not pass within 30 s"
}

stop_server() {
    local child
    child=$(cat "/proc/$SERVER_PID/task/$SERVER_PID/children" | awk '{print $1}')
    [ -n "$child" ] || fail "cannot find the server process"
    local nspid
    nspid=$(awk '/^NSpid:/ {print $NF}' "/proc/$child/status")
    [ "$nspid" = 1 ] || fail "the server is PID $nspid in its namespace, not 1"
    kill -TERM "$child"
    local status=0
    for _ in $(seq 1 $((GRACE_SECONDS * 10))); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID"
        fail "the server did not stop within $GRACE_SECONDS s of SIGTERM"
    fi
    wait "$SERVER_PID" || status=$?
    [ "$status" = 0 ] || { cat "$1" >&2; fail "the server exited with status $status after SIGTERM"; }
    ok "SIGTERM to PID 1: graceful stop, exit status 0"
}

LOG1=$WORK/server-first.log LOG2=$WORK/server-restart.log
: >"$LOG1"; : >"$LOG2"
start_server "$LOG1"
ok "server started: ${START_CMD[*]}; health check passes: ${HEALTHCHECK_CMD[*]}"
if command -v ss >/dev/null; then
    ss -Hltn "sport = :$IMAGE_PORT" | grep -qE "(0\.0\.0\.0|\*|\[::\]):$IMAGE_PORT" \
        || { ss -ltn >&2; fail "nothing listens on 0.0.0.0:$IMAGE_PORT"; }
    ok "listening on 0.0.0.0:$IMAGE_PORT"
fi

check_gsomia() {
    local body
    body=$(curl -sS --fail --max-time 10 "http://127.0.0.1:$IMAGE_PORT/v1/agreements/gsomia/status?asOf=2019-08-22") \
        || fail "GET /v1/agreements/gsomia/status?asOf=2019-08-22 failed"
    python3 -c '
import json, sys
status = json.loads(sys.argv[1])
assert status["state"] == "inForce", status["state"]
assert status["noticeDeadline"] == "2019-08-24", status["noticeDeadline"]
' "$body" || fail "unexpected GSOMIA status: ${body:0:300}"
    ok "GET /v1/agreements/gsomia/status?asOf=2019-08-22: state inForce, noticeDeadline 2019-08-24"
}
check_gsomia

db=$IMAGE_WORKDIR/data/pacta.sqlite
for kv in "${IMAGE_ENV[@]}"; do case "$kv" in PACTA_DATABASE=*) db=${kv#*=} ;; esac; done
case "$db" in "$IMAGE_VOLUME"/*) ;; *) fail "PACTA_DATABASE ($db) is not on the volume $IMAGE_VOLUME" ;; esac
host_db=$VOLUME_DIR${db#"$IMAGE_VOLUME"}
[ -f "$host_db" ] || fail "no database at $db on the volume"
[ "$(stat -c %u "$host_db")" = "$USER_UID" ] || fail "$db is not owned by uid $USER_UID"
ok "database $db created on the volume, owned by uid $USER_UID"

stop_server "$LOG1"

start_server "$LOG2"
grep -q "Seeded a new database" "$LOG2" && fail "the restart seeded the database again"
check_gsomia
ok "restart on the same volume: health check passes, data kept, no second seeding"
stop_server "$LOG2"
INNER
status=$?
set -e
[ "$status" = 0 ] || fail "the image checks failed (server logs in $WORK/server-*.log)"

# ---- size ------------------------------------------------------------------------------------------------------
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB (%d bytes)", b / 1048576, b }'; }
step "Image size on disk (du of the root file system)"
echo "  base ($RUNTIME_IMAGE-like minbase + ${RUNTIME_PACKAGES[*]}): $(mib "$BASE_BYTES")"
echo "  files the image ships (COPY --from=build):                 $(mib "$SHIPPED_BYTES")"
echo "    of which the pacta binary:                               $(mib "$(stat -c %s "$BINARY")")"
echo "  image total:                                               $(mib "$TOTAL_BYTES")"
echo
echo "PASS: the runtime image defined by $DOCKERFILE works"
