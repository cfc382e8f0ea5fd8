// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureHint, vmStopReason } from './failure-hints.js';

test('known boot failures come with their fix', () => {
  assert.match(failureHint("qemu-system-x86_64: -virtfs local,path=/: 'virtio-9p-pci' is not a valid device model name")!, /virtfs/);
  assert.match(failureHint('[ 1.2] VFS: Unable to mount root fs on unknown-block(0,0)')!, /9P_FS/);
  assert.match(failureHint('Kernel panic - not syncing: Requested init /repo/scripts/lab/init failed (error -2).')!, /busybox-static/);
  assert.match(failureHint('Could not access KVM kernel module: Permission denied')!, /--accel tcg/);
  assert.equal(failureHint('the VM stopped (qemu exit 0) before the command finished'), undefined);
});

test('a VM that stops without the exit marker says how it stopped', () => {
  assert.match(vmStopReason(0, null), /^the VM stopped \(qemu exit 0\) before the command finished: the guest reset or powered off/);
  assert.match(vmStopReason(137, null), /qemu was killed \(SIGKILL/);
  assert.match(vmStopReason(null, 'SIGTERM'), /\(signal SIGTERM\).*killed from outside/);
  assert.equal(vmStopReason(1, null), 'the VM stopped (qemu exit 1) before the command finished');
});
