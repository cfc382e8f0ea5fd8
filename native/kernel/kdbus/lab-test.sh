#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build our kdbus module against a lab kernel and run its ABI tests and the
# fuzz test inside the lab VM; fail on any oops, KASAN, lockdep, sleep-in-
# atomic or kmemleak report.  Run from the repository root after
# `npm run build`:
#
#   native/kernel/kdbus/lab-test.sh [default|debug] [fuzz-seconds]
#
# IPCBENCH_LAB_KERNEL picks the lab kernel (ipcbench-6.1 when unset); the
# stock debian-* kernels have only the default variant.
#
# build.sh builds the module out of tree in a cache directory per variant.
set -eu
variant=${1:-debug}
fuzz=${2:-30}
src=$(cd "$(dirname "$0")" && pwd)
ko=$("$src/build.sh" "$variant")
build=$(dirname "$ko")
make -s -C "$src/tests"

cat > "$build/in-vm.sh" <<INVM
set -u
dmesg | grep -E 'KernelAddressSanitizer initialized|kmemleak: Kernel memory leak detector|lockdep|Lock dependency validator' | head -4
insmod $ko || exit 10
$src/tests/kdbus-test --fuzz-seconds $fuzz
rc=\$?
rmmod kdbus || rc=11
leaks=
if mount -t debugfs none /sys/kernel/debug 2>/dev/null && [ -e /sys/kernel/debug/kmemleak ]; then
	# objects must be old enough to be reported: scan, wait, scan again
	echo scan > /sys/kernel/debug/kmemleak; sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	leaks=\$(grep -A12 'unreferenced object' /sys/kernel/debug/kmemleak | grep -B2 -A10 kdbus || true)
	echo "kmemleak: \$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak) unreferenced objects in total, \$(test -n "\$leaks" && echo some || echo none) from kdbus"
fi
if dmesg | grep -E 'BUG:|KASAN|WARNING:|Oops|circular locking|sleeping function called|possible recursive locking|list_(add|del) corruption'; then
	echo "kernel reported problems (above)"
	rc=12
fi
if [ -n "\$leaks" ]; then echo "\$leaks"; rc=13; fi
echo "kdbus lab-test ($variant): exit \$rc"
exit \$rc
INVM
# the suite plus the fuzz; KASAN/lockdep under TCG are slow
exec node dist/bench/cli.js lab exec --variant "$variant" --timeout $((900 + 2 * fuzz)) -- "sh $build/in-vm.sh"
