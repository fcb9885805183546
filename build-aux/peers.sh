#!/bin/sh
# peers.sh DIR - unpack the peers of `make bench PEERS=1` (Postfix, and
# Dovecot with its imap, pop3 and lmtp servers) from Debian's packages into
# DIR: downloaded with apt-get download and unpacked with dpkg -x, never
# installed, never started as system services.  Library packages they
# need that the system lacks are unpacked alongside.
#
# Leaves DIR/root (the packages' files) and DIR/ns, a wrapper that runs a
# command in a private mount namespace where DIR/root/usr is laid over
# /usr (a read-only overlayfs): Postfix and Dovecot find their compiled-in
# paths (/usr/lib/postfix, /usr/lib/dovecot and its modules directory,
# /usr/bin/doveconf), and nothing outside that namespace sees them.
# Dovecot's lmtp opens its compiled-in modules directory before it reads
# any setting, so pointing settings at DIR is not enough.  The namespace
# and the overlay need root: otherwise this says so and exits 1.
set -eu
dir=$1
pkgs="postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd"

if [ -f "$dir/ok" ] && "$dir/ns" true 2>/dev/null; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "peers: needs root (a private mount namespace with overlayfs)" >&2
	exit 1
fi
rm -rf "$dir/root" "$dir/ok"
mkdir -p "$dir/debs"
cd "$dir/debs"

# apt-get download warns when _apt cannot write here; only failure matters.
fetch() {
	apt-get download "$@" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  apt-get download "$@" >/dev/null 2>&1; } ||
		{ echo "peers: apt-get download $* failed" >&2; exit 1; }
}

have=$(for p in $pkgs; do ls ${p}_*.deb 2>/dev/null || true; done | wc -l)
[ "$have" -ge 5 ] || fetch $pkgs

# Direct library dependencies that are not installed: first alternative,
# version constraint and architecture qualifier dropped.
libs=$(for f in *.deb; do dpkg-deb -f "$f" Depends; done |
	tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:.*//; s/[[:space:]]//g' |
	grep '^lib' | sort -u)
missing=""
for l in $libs; do
	case $(dpkg-query -W -f='${Status}' "$l" 2>/dev/null || true) in
	*" installed") ;;
	*) ls "${l}"_*.deb >/dev/null 2>&1 || missing="$missing $l" ;;
	esac
done
[ -z "$missing" ] || fetch $missing

for f in *.deb; do
	dpkg -x "$f" "$dir/root"
done

cat >"$dir/ns" <<'EOW'
#!/bin/sh
# ns CMD [ARG...] - run CMD in a private mount namespace in which the
# unpacked peers lie over /usr (made by build-aux/peers.sh).
root=$(dirname "$0")/root/usr
exec unshare --mount --propagation private sh -c \
	'mount -t overlay peers -o "lowerdir=$0:/usr" /usr && exec "$@"' \
	"$root" "$@"
EOW
chmod +x "$dir/ns"

if ! "$dir/ns" true; then
	echo "peers: cannot lay the packages over /usr (overlayfs)" >&2
	exit 1
fi
bad=$("$dir/ns" sh -c 'ldd /usr/sbin/dovecot /usr/lib/dovecot/imap \
	/usr/lib/dovecot/pop3 /usr/lib/dovecot/lmtp /usr/lib/dovecot/auth \
	/usr/lib/postfix/sbin/smtpd /usr/lib/postfix/sbin/master' |
	grep 'not found' || true)
if [ -n "$bad" ]; then
	echo "peers: libraries missing: $bad" >&2
	exit 1
fi
touch "$dir/ok"
