#!/bin/sh
# refpostfix.sh DIR - unpack Postfix's postmap from Debian's package into DIR
# (never installed, never started) so that the tests can check that tables
# written by Postfix and by Postern are interchangeable.  Leaves
# DIR/postmap, a wrapper with its own main.cf.  Fails quietly (the test then
# reports the check as skipped) when the package cannot be downloaded.
set -eu
dir=$1
[ -x "$dir/postmap" ] && exit 0
mkdir -p "$dir"
cd "$dir"
if ! ls postfix_*.deb >/dev/null 2>&1; then
	apt-get download postfix >/dev/null 2>&1 ||
		{ [ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1 &&
		  apt-get download postfix >/dev/null 2>&1; } ||
		{ echo "refpostfix: cannot download postfix; postmap check skipped" >&2; exit 0; }
fi
dpkg -x postfix_*.deb root
mkdir -p cfg
# Users postmap insists on: distinct, existing, and not root.
printf 'mail_owner = daemon\nsetgid_group = adm\ndefault_privs = nobody\n' >cfg/main.cf
cat >postmap <<EOW
#!/bin/sh
MAIL_CONFIG=$dir/cfg LD_LIBRARY_PATH=$dir/root/usr/lib/postfix exec $dir/root/usr/sbin/postmap "\$@"
EOW
chmod +x postmap
