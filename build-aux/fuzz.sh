#!/bin/sh
# fuzz.sh SECONDS TARGET... - run each libFuzzer target on its corpus
# (t/fuzz/corpus/NAME/) for SECONDS; new inputs go to build/fuzz/corpus.
set -eu
secs=$1
shift
for bin in "$@"; do
	name=${bin##*/fuzz_}
	seeds=t/fuzz/corpus/$name
	work=build/fuzz/corpus/$name
	mkdir -p "$work" "$seeds"
	echo "fuzz: $name for ${secs}s"
	"$bin" -max_total_time="$secs" -print_final_stats=0 "$work" "$seeds" \
		>build/fuzz/$name.log 2>&1 || {
		tail -n 40 build/fuzz/$name.log >&2
		echo "fuzz: $name FAILED (see build/fuzz/$name.log)" >&2
		exit 1
	}
done
