#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Build our kdbus module against a lab kernel and print the path of kdbus.ko.
# Run from the repository root after `npm run build`:
#
#   native/kernel/kdbus/build.sh [default|debug]
#
# The lab kernel is IPCBENCH_LAB_KERNEL (ipcbench-6.1 when unset; see
# docs/kernels.md), e.g. IPCBENCH_LAB_KERNEL=debian-6.12 build.sh default.
#
# The build happens in a cache directory, one per variant and checkout, so the variants'
# objects never mix and the source tree stays clean.  The directory is
# outside /tmp because the lab VM mounts its own /tmp over the host's.
# For the lab: `insmod "$(native/kernel/kdbus/build.sh)"` inside the VM
# loads it (the host root is shared read-only).
set -eu
variant=${1:-default}
src=$(cd "$(dirname "$0")" && pwd)
tree=$(node dist/bench/cli.js lab build --variant "$variant" --print-tree)
# one directory per source checkout too: worktrees building at once must
# not share objects
tag=$(printf %s "$src" | md5sum | cut -c1-8)
build=${XDG_CACHE_HOME:-$HOME/.cache}/ipcbench/kdbus-build/${IPCBENCH_LAB_KERNEL:-ipcbench-6.1}-$variant-$tag
mkdir -p "$build"
cp "$src"/Kbuild "$src"/*.c "$src"/*.h "$build"/
# without Module.symvers (the lab builds no in-tree modules) modpost cannot
# resolve symbols at build time; the kernel resolves them at insmod
make -s -C "$tree" M="$build" modules 2>&1 | grep -v -e 'Module.symvers is missing' \
	-e 'unresolved symbol' -e 'modpost: "' -e 'suppressed .* unresolved' \
	-e 'may not have dependencies' >&2 || true
test -f "$build/kdbus.ko"
echo "$build/kdbus.ko"
