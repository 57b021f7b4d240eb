#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the store's tests, from
# Debian's packages (installed when missing).
#
#   url="$(scripts/postgres.sh start DIR [PORT])"   # prints the admin URL; PORT: first free from 55432
#   scripts/postgres.sh stop DIR
#
# The cluster lives in DIR, listens on 127.0.0.1 only, trusts local
# connections (nothing but loopback can reach it) and runs without fsync:
# it holds test data only. Run as root, it runs the server as the
# postgres user.
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
port="${3:-auto}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start|stop DIR [PORT]" >&2
	exit 2
fi

bin() {
	local b
	b="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
	if [ -z "$b" ]; then
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		b="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
	fi
	echo "$b"
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

# free_port prints the first port from 55432 on that nothing listens on.
free_port() {
	local p
	for p in $(seq 55432 55632); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "postgres.sh: no free port" >&2
	exit 1
}

case "$cmd" in
start)
	b="$(bin)"
	[ "$port" = auto ] && port="$(free_port)"
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	as_owner "'$b/initdb' -D '$dir/data' -A trust -U postgres >'$dir/initdb.log' 2>&1"
	# A second try on the next free port covers a port taken between the
	# check and the bind; a failure shows the server's log.
	for attempt in 1 2; do
		if as_owner "'$b/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 \
			-o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start >/dev/null"; then
			echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			exit 0
		fi
		echo "postgres.sh: the server did not start on port $port (try $attempt); its log:" >&2
		tail -n 20 "$dir/server.log" >&2 || true
		as_owner "'$b/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1" || true
		sleep 1
		port="$(free_port)"
	done
	exit 1
	;;
stop)
	b="$(bin)"
	as_owner "'$b/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1" || true
	;;
*)
	echo "usage: $0 start|stop DIR [PORT]" >&2
	exit 2
	;;
esac
