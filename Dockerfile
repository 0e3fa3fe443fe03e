# syntax=docker/dockerfile:1
#
# Pacta's container image. No Docker engine runs on the project's machines, so this file is checked by
# scripts/verify-runtime-image.sh, which reads it: the runtime stage's `apt-get install` packages, its other RUN
# lines, ENV, USER, COPY --from=build, HEALTHCHECK and ENTRYPOINT/CMD. Keep one instruction per concern so the
# script can follow it (docs/docker.md).

# ---- build ---------------------------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build

# GRDB links the system SQLite.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Dependency resolution is its own layer: it is reused until Package.swift changes. Package.resolved is not
# copied (it is not committed; see .dockerignore).
COPY Package.swift ./
RUN swift package resolve

COPY openapi.yaml ./
COPY Plugins ./Plugins
COPY Data ./Data
COPY Sources ./Sources

# The Swift standard library and Foundation are linked statically; the binary needs only libc, libstdc++ and
# libsqlite3 from the system. The dataset and openapi.yaml are compiled into it.
RUN swift build -c release --static-swift-stdlib --product pacta

# Stage what the runtime image ships: the server and Swift's static crash backtracer.
RUN mkdir -p /staging \
    && cp "$(swift build -c release --static-swift-stdlib --product pacta --show-bin-path)/pacta" /staging/ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/

# ---- runtime -------------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# Only the shared libraries the binary links besides libc (check with `ldd pacta`), and the system's trust roots:
# without them no HTTPS webhook receiver (nor PostgreSQL with sslmode=verify-full) can be verified.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# A fixed, non-root uid/gid so the volume's owner is predictable; /data is the database volume.
RUN groupadd --gid 10001 pacta \
    && useradd --uid 10001 --gid pacta --home-dir /data --no-create-home --shell /usr/sbin/nologin pacta \
    && mkdir -p /data \
    && chown pacta:pacta /data

COPY --from=build /staging/pacta /usr/local/bin/pacta
COPY --from=build /staging/swift-backtrace-static /usr/local/libexec/swift-backtrace-static

ENV PACTA_HOST=0.0.0.0 \
    PACTA_PORT=8080 \
    PACTA_DATABASE=/data/pacta.sqlite \
    PACTA_LOG_LEVEL=info \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/libexec/swift-backtrace-static

USER pacta:pacta
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# `pacta healthcheck` speaks HTTP over a plain socket (no curl in the image); it reads PACTA_PORT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/pacta", "healthcheck", "--timeout", "3"]

# Exec form: pacta is PID 1 and receives SIGTERM from `docker stop`; it stops accepting connections, drains the
# ones in flight and closes the database before exiting 0.
ENTRYPOINT ["/usr/local/bin/pacta"]
CMD ["serve"]
