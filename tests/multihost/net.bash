# tests/multihost/net.bash -- sourced by tests/multihost.sh: test hosts
# made of network namespaces on one bridge, and faults on their links.
# shellcheck shell=bash
#
# Every name starts with NET_TAG (random per run), the bridge lives in a
# namespace of its own, and the addresses (NET_PREFIX.0/24) exist only
# inside these namespaces: nothing touches the root namespace.

NET_TAG=mh$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NET_PREFIX=10.213.7
NET_HOSTS=()

# net_up: the bridge namespace.
net_up() {
	ip netns add "$NET_TAG-br"
	ip -n "$NET_TAG-br" link add br0 type bridge
	ip -n "$NET_TAG-br" link set br0 up
}

# host_add NAME N: namespace NET_TAG-NAME, its eth0 at NET_PREFIX.N/24
# plugged into the bridge (port NAME).
host_add() {
	local ns=$NET_TAG-$1
	ip netns add "$ns"
	NET_HOSTS+=("$1")
	ip -n "$NET_TAG-br" link add "$1" type veth peer name eth0 netns "$ns"
	ip -n "$NET_TAG-br" link set "$1" master br0 up
	ip -n "$ns" addr add "$NET_PREFIX.$2/24" dev eth0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	# A front without kept FastCGI connections opens one per request:
	# at thousands a second, 60 s of TIME_WAIT would use up the default
	# 28,000 local ports to one app host (connect fails: 502s).  What a
	# real front host needs too (docs/DEPLOY.md, several hosts).
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
	    net.ipv4.ip_local_port_range="1024 65535"
}

# on NAME COMMAND...: run COMMAND on host NAME.
on() { local h=$1; shift; ip netns exec "$NET_TAG-$h" "$@"; }

# cut NAME / mend NAME: take host NAME's bridge port down (every packet
# to and from it is dropped, nobody sends a reset) / up again.
cut() { ip -n "$NET_TAG-br" link set "$1" down; }
mend() { ip -n "$NET_TAG-br" link set "$1" up; }

# host_pids NAME: every process running on host NAME.
host_pids() { ip netns pids "$NET_TAG-$1" 2>/dev/null || true; }

# host_kill NAME: SIGKILL every process of host NAME; wait until gone.
host_kill() {
	local pids deadline=$((SECONDS + 10))
	while pids=$(host_pids "$1") && [ -n "$pids" ]; do
		# shellcheck disable=SC2086 # a list of PIDs
		kill -KILL $pids 2>/dev/null || true
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# host_listening NAME: the TCP ports host NAME listens on ("" if none).
host_listening() { on "$1" ss -Htln | awk '{print $4}'; }

# passive_opens NAME: how many TCP connections host NAME has accepted
# (its kernel's counter: the app hosts accept nothing but FastCGI).
passive_opens() {
	on "$1" awk '/^Tcp:/ { if (n++) { for (i = 1; i <= NF; i++) if (h[i] == "PassiveOpens") print $i } else for (i = 1; i <= NF; i++) h[i] = $i }' /proc/net/snmp
}

# net_down: kill what still runs on every host, remove every namespace.
net_down() {
	local h
	for h in "${NET_HOSTS[@]}"; do
		host_kill "$h" || true
		ip netns del "$NET_TAG-$h" 2>/dev/null || true
	done
	ip netns del "$NET_TAG-br" 2>/dev/null || true
}
