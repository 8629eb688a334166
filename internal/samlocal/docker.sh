#!/usr/bin/env bash
# docker.sh: the Docker side of `make sam-local`.
#
#   docker.sh install   install Docker, qemu-user-static and busybox-static
#                       (arm64) from Debian's packages when missing
#   docker.sh start     register qemu for arm64 (binfmt_misc, flag F), start a
#                       private dockerd whose containers cannot leave the
#                       machine, and build the local invoke image; prints
#                       DOCKER_HOST=... on its last line
#   docker.sh stop      stop that dockerd
#
# The daemon runs with --iptables=false --ip-masq=false --ip-forward=false,
# IP forwarding off, --dns 127.0.0.1 (names do not resolve inside the
# containers) and its bridge on 198.18.0.1/24 (RFC 2544's test range), so no
# container traffic leaves the machine: containers reach only the host's
# bridge address, where `chatsync emulator` listens.
#
# Published ports go through retryproxy (built here with Go), which waits
# for the container to listen: see retryproxy/main.go.
#
# Exit status 3 from start means "Docker cannot run here" (no root, no
# dockerd, the daemon did not come up); the Makefile turns it into a skip
# outside CI and a failure under CI=true.
set -euo pipefail

STATE=${SAM_LOCAL_STATE:-/tmp/chat-lambdas-docker}
SOCK="$STATE/docker.sock"
BRIDGE_IP=198.18.0.1
IMAGE=${SAM_LOCAL_IMAGE:-chat-lambdas/provided-al2023-local:arm64}

cannot() { echo "docker.sh: $*" >&2; exit 3; }

install() {
	[ "$(id -u)" = 0 ] || cannot "installing Docker needs root"
	local need=()
	command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
	if [ "$(uname -m)" != aarch64 ] && ! command -v qemu-aarch64-static >/dev/null 2>&1; then
		need+=(qemu-user-static)
	fi
	if ! dpkg --print-foreign-architectures | grep -qx arm64 && [ "$(dpkg --print-architecture)" != arm64 ]; then
		dpkg --add-architecture arm64
	fi
	if [ "${#need[@]}" -gt 0 ] || [ ! -s "$STATE/busybox" ]; then
		apt-get update -qq
	fi
	if [ "${#need[@]}" -gt 0 ]; then
		echo "installing ${need[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	fi
	if [ ! -s "$STATE/busybox" ]; then
		mkdir -p "$STATE/deb"
		(cd "$STATE/deb" && apt-get download -qq busybox-static:arm64)
		dpkg-deb -x "$STATE"/deb/busybox-static_*_arm64.deb "$STATE/deb/x"
		cp "$STATE/deb/x/bin/busybox" "$STATE/busybox"
		rm -rf "$STATE/deb"
	fi
}

binfmt() {
	[ "$(uname -m)" = aarch64 ] && return 0
	command -v qemu-aarch64-static >/dev/null 2>&1 || cannot "qemu-aarch64-static not installed (docker.sh install)"
	local bm=/proc/sys/fs/binfmt_misc
	[ -e "$bm/register" ] || mount -t binfmt_misc binfmt_misc "$bm" 2>/dev/null || cannot "cannot mount binfmt_misc"
	if [ -e "$bm/qemu-aarch64" ]; then
		grep -q '^flags: .*F' "$bm/qemu-aarch64" && return 0
		echo -1 > "$bm/qemu-aarch64"
	fi
	# Debian's own entry, with the static interpreter and flag F (the kernel
	# opens it now, so it also works inside containers).
	printf '%s' ':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' > "$bm/register" ||
		cannot "cannot register qemu-aarch64 with binfmt_misc"
}

start() {
	[ "$(id -u)" = 0 ] || cannot "starting dockerd needs root"
	command -v dockerd >/dev/null 2>&1 || cannot "dockerd not installed (docker.sh install)"
	[ -s "$STATE/busybox" ] || cannot "busybox (arm64) not downloaded (docker.sh install)"
	binfmt
	mkdir -p "$STATE"
	export DOCKER_HOST="unix://$SOCK"
	if ! docker info >/dev/null 2>&1; then
		# The userland proxy that waits for the container (see
		# retryproxy/main.go for why).
		(cd "$(dirname "${BASH_SOURCE[0]}")" && ${GO:-go} build -o "$STATE/retryproxy" ./retryproxy) ||
			cannot "cannot build retryproxy"
		# No container may route off the machine.
		sysctl -qw net.ipv4.ip_forward=0 2>/dev/null || true
		[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || cannot "IP forwarding is on and cannot be turned off"
		dockerd --host "$DOCKER_HOST" --pidfile "$STATE/dockerd.pid" --data-root "$STATE/data" \
			--exec-root "$STATE/exec" --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
			--dns 127.0.0.1 --bip "$BRIDGE_IP/24" --userland-proxy-path "$STATE/retryproxy" >"$STATE/dockerd.log" 2>&1 &
		for _ in $(seq 1 60); do
			docker info >/dev/null 2>&1 && break
			sleep 0.5
		done
		docker info >/dev/null 2>&1 || { tail -5 "$STATE/dockerd.log" >&2; cannot "dockerd did not start (log: $STATE/dockerd.log)"; }
	fi
	ip -4 addr show docker0 2>/dev/null | grep -q "inet $BRIDGE_IP/" || cannot "the Docker bridge is not on $BRIDGE_IP"
	if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
		# The invoke image: SAM's own build step on top of it runs
		# `mv` and `chmod` through a shell, which busybox gives; the
		# function is a static Go bootstrap that needs nothing else.
		local ctx="$STATE/image"
		rm -rf "$ctx" && mkdir -p "$ctx"
		cp "$STATE/busybox" "$ctx/busybox"
		cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /var/task /var/runtime /var/rapid /tmp /usr/bin && ln -s /bin/sh /usr/bin/sh
ENV PATH=/usr/local/bin:/usr/bin:/bin LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
WORKDIR /var/task
DOCKERFILE
		DOCKER_BUILDKIT=0 docker build --platform linux/arm64 -q -t "$IMAGE" "$ctx" >/dev/null
	fi
	echo "DOCKER_HOST=$DOCKER_HOST"
}

stop() {
	[ -s "$STATE/dockerd.pid" ] || return 0
	local pid
	pid=$(cat "$STATE/dockerd.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
*) echo "usage: docker.sh install|start|stop" >&2; exit 2 ;;
esac
