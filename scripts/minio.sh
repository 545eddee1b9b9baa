# scripts/minio.sh — sourced by scripts/test and scripts/bench: builds the pinned
# MinIO server once into the cache and starts a private one on free loopback ports.
# The sourcing script sets SCRIPT_NAME and `set -euo pipefail`, then calls
# ensure_minio.

MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # pinned: see docs/architecture.md, "Facts"
CACHE=${GONGSHI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gongshi}
MINIO_BIN=$CACHE/bin/minio

say() { printf '%s: %s\n' "${SCRIPT_NAME:-scripts}" "$*" >&2; }
is_ci() { [[ ${CI:-} == true || ${CI:-} == 1 ]]; }
# no_minio reports why MinIO is unavailable: fatal in CI, a warning elsewhere.
no_minio() {
	if is_ci; then
		say "FAIL: $* (CI=true: the S3 tests must run)"
		exit 1
	fi
	say "WARNING: $* — the S3 tests will be skipped"
}

command -v go >/dev/null || { say "go is not on PATH"; exit 2; }

# port_free: nothing accepts connections on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints a port that is free now. MinIO may still lose a race for it;
# start_minio then tries again with other ports.
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if port_free "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# healthy: MinIO on port $1 answers 200 on /minio/health/live (no curl needed).
healthy() (
	exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
	printf 'GET /minio/health/live HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" >&3
	IFS= read -r -t 2 status <&3 || exit 1
	[[ $status == "HTTP/1."?" 200"* ]]
) 2>/dev/null

random_secret() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

build_minio() {
	[[ -x $MINIO_BIN ]] && return 0
	mkdir -p "$CACHE/bin"
	# One build at a time, across concurrent runs.
	exec 8>"$CACHE/minio-build.lock"
	if command -v flock >/dev/null; then
		if ! flock -n 8; then
			say "waiting for another run that is building MinIO..."
			flock 8
		fi
	fi
	if [[ -x $MINIO_BIN ]]; then
		exec 8>&-
		return 0
	fi
	local tmp log
	tmp=$(mktemp -d "$CACHE/bin.tmp.XXXXXX")
	log=$CACHE/minio-build.log
	say "building MinIO server (first run only, ~4 min; log: $log)..."
	local start=$SECONDS
	if (cd "$tmp" && GOBIN=$tmp GOFLAGS= go install "$MINIO_MODULE@$MINIO_VERSION") >"$log" 2>&1 &&
		mv "$tmp/minio" "$MINIO_BIN"; then
		say "built MinIO in $((SECONDS - start)) s: $MINIO_BIN"
		rm -rf "$tmp"
		exec 8>&-
		return 0
	fi
	rm -rf "$tmp"
	exec 8>&-
	tail -n 5 "$log" >&2 || true
	return 1
}

TMP=
MINIO_PID=
cleanup() {
	if [[ -n $MINIO_PID ]]; then
		kill "$MINIO_PID" 2>/dev/null || true
		wait "$MINIO_PID" 2>/dev/null || true
	fi
	if [[ -n $TMP ]]; then
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_minio() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/gongshi-test.XXXXXX")
	local user pass attempt port cport i
	user=gongshi-$(random_secret 4)
	pass=$(random_secret 16)
	for ((attempt = 1; attempt <= 5; attempt++)); do
		port=$(free_port) && cport=$(free_port) || return 1
		[[ $port != "$cport" ]] || continue
		rm -rf "$TMP/data"
		mkdir -p "$TMP/data"
		MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$pass MINIO_BROWSER=off \
			"$MINIO_BIN" server "$TMP/data" --quiet \
			--address "127.0.0.1:$port" --console-address "127.0.0.1:$cport" \
			>"$TMP/minio.log" 2>&1 &
		MINIO_PID=$!
		for ((i = 0; i < 120; i++)); do # up to 30 s
			if healthy "$port"; then
				export GONGSHI_TEST_S3_ENDPOINT=127.0.0.1:$port
				export GONGSHI_TEST_S3_ACCESS_KEY=$user
				export GONGSHI_TEST_S3_SECRET_KEY=$pass
				# Benchmarks read the server's CPU time from /proc (docs/benchmarks.md).
				export GONGSHI_TEST_S3_PID=$MINIO_PID
				say "MinIO is up on 127.0.0.1:$port (data in $TMP)"
				return 0
			fi
			kill -0 "$MINIO_PID" 2>/dev/null || break
			sleep 0.25
		done
		kill "$MINIO_PID" 2>/dev/null || true
		wait "$MINIO_PID" 2>/dev/null || true
		MINIO_PID=
		say "MinIO did not come up on port $port (attempt $attempt):"
		tail -n 5 "$TMP/minio.log" >&2 || true
	done
	return 1
}

# ensure_minio makes GONGSHI_TEST_S3_* name a running S3 server: the one already
# named, or a private MinIO started here and stopped when the script exits.
ensure_minio() {
	if [[ -n ${GONGSHI_TEST_S3_ENDPOINT:-} ]]; then
		say "using the S3 server at $GONGSHI_TEST_S3_ENDPOINT (GONGSHI_TEST_S3_ENDPOINT is set)"
	elif ! build_minio; then
		no_minio "could not build MinIO ($MINIO_MODULE@$MINIO_VERSION)"
	elif ! start_minio; then
		no_minio "could not start MinIO ($MINIO_BIN)"
	fi
}

