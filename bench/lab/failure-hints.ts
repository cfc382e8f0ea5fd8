// SPDX-License-Identifier: MIT
// Known lab failure signatures (qemu's stderr, the guest's console) and the fix to print with them.

/** The fix for a known failure signature in qemu's stderr or the guest's console, if any. */
export function failureHint(text: string): string | undefined {
  if (/virtfs|virtio-9p|9p/i.test(text) && /not a valid device|no option group|not supported|unknown/i.test(text))
    return 'this qemu lacks 9p (virtfs) support: apt-get install qemu-system-x86 (Debian builds it with virtfs)';
  if (/Unable to mount root fs|VFS: Cannot open root device/i.test(text))
    return 'the guest kernel could not mount the host root over 9p: check CONFIG_9P_FS/CONFIG_NET_9P_VIRTIO in scripts/lab/lab.config and rebuild (ipcbench lab build --force)';
  if (/Requested init .* failed|No working init found/i.test(text))
    return 'the guest could not run scripts/lab/init: is /bin/busybox there? apt-get install busybox-static';
  if (/Could not access KVM kernel module|failed to initialize kvm/i.test(text)) return 'KVM is unusable here: use --accel tcg (or IPCBENCH_LAB_ACCEL=tcg)';
  return undefined;
}

/**
 * Why qemu ended without init's exit marker and without a panic on the console, from how it ended (qemu runs
 * under timeout(1), so a SIGKILL of qemu itself shows as exit 137).
 */
export function vmStopReason(code: number | null, signal: NodeJS.Signals | null): string {
  const what = `the VM stopped (${signal ? `signal ${signal}` : `qemu exit ${code}`}) before the command finished`;
  if (signal) return `${what}: qemu was killed from outside`;
  if (code === 0)
    return `${what}: the guest reset or powered off without a panic message (with -no-reboot a reset ends qemu: a triple fault such as a kernel stack overflow, or a reboot from inside)`;
  if (code === 137) return `${what}: qemu was killed (SIGKILL: the host ran out of memory, or another process killed it)`;
  return what;
}
