#!/bin/sh
# deps.sh - install the Debian packages that the build and the tests need.
# As root it runs apt-get; otherwise it prints the command and fails.
set -eu

PKGS="gcc make pkg-config clang libclang-rt-dev
libssl-dev libevent-dev libsasl2-dev libldap2-dev libdb5.3-dev liblmdb-dev
libcrypt-dev libsasl2-modules sasl2-bin db5.3-util lmdb-utils
openssl python3 perl man-db groff-base procps iproute2 passwd
slapd ldap-utils swaks isync fetchmail curl"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "make deps: missing Debian packages:$missing" >&2
	echo "make deps: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "make deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
