#!/usr/bin/env bash
# The main job, end to end: our bundled plugins (bridge + host-local, then
# loopback) driven through our own cnitool, ADD / CHECK / DEL / DEL again, in
# throwaway network namespaces. The "host" side is a namespace of its own, so
# the machine's root namespace is never touched; addresses are 169.254.0.0/16.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS || true

if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (it creates network namespaces)" >&2
  exit 1
fi
bin="$PWD/dist/bin"
for b in cnitool bridge host-local loopback; do
  [ -x "$bin/$b" ] || { echo "demo: $bin/$b missing: run npm run build" >&2; exit 1; }
done

host="tscni-demo-host-$$"
ctr="tscni-demo-ctr-$$"
work="$(mktemp -d)"
cleanup() {
  ip netns del "$ctr" 2>/dev/null || true
  ip netns del "$host" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$host"
ip netns add "$ctr"
ip -n "$host" link set lo up

mkdir -p "$work/net.d" "$work/cache" "$work/ipam"
cat >"$work/net.d/10-demo.conflist" <<JSON
{
  "cniVersion": "1.1.0",
  "name": "demo",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "tscni-br0",
      "isGateway": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$work/ipam",
        "ranges": [[{ "subnet": "169.254.42.0/24" }]],
        "routes": [{ "dst": "169.254.0.0/16" }]
      }
    }
  ]
}
JSON
cat >"$work/net.d/20-lo.conflist" <<JSON
{ "cniVersion": "1.1.0", "name": "lo", "plugins": [{ "type": "loopback" }] }
JSON

# cnitool runs inside the host namespace: the bridge and the host end of the veth live there.
cni() {
  echo "+ cnitool $*" >&2
  ip netns exec "$host" env NETCONFPATH="$work/net.d" CNI_PATH="$bin" CNI_CACHE_DIR="$work/cache" \
    "$bin/cnitool" "$@"
}
ctr_path="/var/run/netns/$ctr"

cni -i lo add lo "$ctr_path" >/dev/null
result="$(cni add demo "$ctr_path")"
echo "$result"
echo
echo "+ ip -n $ctr -brief address"
ip -n "$ctr" -brief address
gw="$(ip -n "$host" -4 -brief address show tscni-br0 | awk '{print $3}' | cut -d/ -f1)"
echo "+ ping the gateway $gw from the container"
ip netns exec "$ctr" ping -c 1 -W 2 "$gw" | tail -2
cni check demo "$ctr_path"
echo "check: ok"
cni del demo "$ctr_path"
cni del demo "$ctr_path"
cni -i lo del lo "$ctr_path"
echo "del, del again: ok"
left="$(ls "$work/ipam/demo" 2>/dev/null | grep -v -e '^lock$' -e '^last_reserved_ip' || true)"
if [ -n "$left" ]; then
  echo "demo: reservations left after DEL: $left" >&2
  exit 1
fi
echo "demo: ADD, CHECK, DEL, DEL again through cnitool with bridge + host-local + loopback: all good"
