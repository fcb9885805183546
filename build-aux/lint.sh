#!/bin/sh
# lint.sh - project rules a compiler does not check: banned calls, every
# parameter documented in man/postern.conf.5, man pages render cleanly.
set -eu
fail=0

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|strncpy|atoi|atol|alloca|system|popen)[[:space:]]*\('
if grep -nE "$banned" $(find lib master tools sendmail smtpd qmgr delivery lmtpd imapd pop3d authd -name '*.[ch]' 2>/dev/null) 2>/dev/null \
	| grep -vE '^[^:]*:[0-9]+:[[:space:]]*(/?\*|//)'; then
	echo "lint: banned call (STYLE.md section 4)" >&2
	fail=1
fi

# Every row of the parameter table must appear in postern.conf(5).
for p in $(sed -n 's/^[[:space:]]*P_[A-Z]*(\([a-zA-Z0-9_]*\),.*/\1/p' lib/mail/params.c); do
	if ! grep -qw -- "$p" man/postern.conf.5; then
		echo "lint: parameter $p is not documented in man/postern.conf.5" >&2
		fail=1
	fi
	if ! grep -q "^#* *$p *=" conf/postern.conf; then
		echo "lint: parameter $p is missing from conf/postern.conf" >&2
		fail=1
	fi
done

for m in man/*.[158]; do
	out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >/dev/null || true)
	if [ -n "$out" ]; then
		echo "lint: $m: $out" >&2
		fail=1
	fi
done
exit $fail
