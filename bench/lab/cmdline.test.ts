// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KERNEL_CMDLINE_MAX, accelKernelArgs, b64, classifySerialLine, commandFitsCmdline, kernelCmdline, qemuArgs, variantKernelArgs } from './cmdline.js';

const guest = { init: '/repo/scripts/lab/init', command: 'echo "hi there" && exit 3', env: 'lab-tcg' as const, cwd: '/repo', path: '/usr/bin:/bin' };

function param(line: string, name: string): string | undefined {
  return line
    .split(' ')
    .find((w) => w.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

test('the kernel command line carries the command, cwd and PATH base64-encoded, with no spaces', () => {
  const line = kernelCmdline(guest);
  assert.equal(Buffer.from(param(line, 'ipcbench_cmd')!, 'base64').toString(), guest.command);
  assert.equal(Buffer.from(param(line, 'ipcbench_cwd')!, 'base64').toString(), '/repo');
  assert.equal(Buffer.from(param(line, 'ipcbench_path')!, 'base64').toString(), '/usr/bin:/bin');
  assert.equal(param(line, 'ipcbench_env'), 'lab-tcg');
  assert.equal(param(line, 'init'), '/repo/scripts/lab/init');
  assert.equal(param(line, 'console'), 'ttyS0');
  assert.equal(param(line, 'panic'), '-1', 'a panic must end qemu (with -no-reboot), not hang it');
  assert.equal(param(line, 'rootfstype'), '9p');
  assert.ok(line.split(' ').includes('ro'));
  assert.equal(b64('é'), 'w6k=');
});

test('a long command does not fit and goes through the results share instead', () => {
  assert.ok(commandFitsCmdline(guest));
  const long = { ...guest, command: 'x'.repeat(KERNEL_CMDLINE_MAX) };
  assert.equal(commandFitsCmdline(long), false);
  const without = kernelCmdline({ ...long, command: undefined });
  assert.equal(param(without, 'ipcbench_cmd'), undefined);
});

test('words with spaces are refused (they would split on the kernel command line)', () => {
  assert.throws(() => kernelCmdline({ ...guest, init: '/my repo/init' }), /spaces/);
  assert.throws(() => kernelCmdline({ ...guest, extra: ['a b'] }), /spaces/);
});

test('qemu: TCG with multi-threaded vCPUs, KVM with the host CPU, nothing listening', () => {
  const base = {
    kernel: '/k/bzImage',
    append: 'console=ttyS0',
    cpus: 2,
    memoryMiB: 1024,
    shares: [
      { path: '/', tag: 'hostroot', readonly: true },
      { path: '/tmp/r', tag: 'results', readonly: false },
    ],
  };
  const tcg = qemuArgs({ ...base, accel: 'tcg' });
  const at = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(at(tcg, '-accel'), 'tcg,thread=multi');
  assert.equal(at(tcg, '-cpu'), 'max');
  assert.equal(at(tcg, '-smp'), '2');
  assert.equal(at(tcg, '-m'), '1024M');
  assert.equal(at(tcg, '-kernel'), '/k/bzImage');
  assert.equal(at(tcg, '-display'), 'none');
  assert.equal(at(tcg, '-monitor'), 'none');
  assert.ok(tcg.includes('-nodefaults') && tcg.includes('-no-reboot'));
  assert.ok(!tcg.some((a) => /^-(net|netdev|nic|vnc|gdb|s)$/.test(a)), 'no network, no listening servers');
  const virtfs = tcg.filter((_, i) => tcg[i - 1] === '-virtfs');
  assert.equal(virtfs.length, 2);
  assert.match(virtfs[0]!, /^local,path=\/,mount_tag=hostroot,.*readonly=on/);
  assert.doesNotMatch(virtfs[1]!, /readonly/);
  const kvm = qemuArgs({ ...base, accel: 'kvm' });
  assert.equal(at(kvm, '-accel'), 'kvm');
  assert.equal(at(kvm, '-cpu'), 'host');
});

test('qemu option syntax cannot be injected through paths or tags', () => {
  const base = { accel: 'tcg' as const, kernel: '/k', append: '', cpus: 1, memoryMiB: 256 };
  assert.throws(() => qemuArgs({ ...base, shares: [{ path: '/a,b', tag: 't', readonly: true }] }), /comma/);
  assert.throws(() => qemuArgs({ ...base, shares: [{ path: '/a', tag: 'bad tag', readonly: true }] }), /tag/);
});

test('serial lines: boot log, markers, output, panic', () => {
  assert.equal(classifySerialLine('[    0.1] Linux version 6.1', false).kind, 'boot');
  assert.equal(classifySerialLine('IPCBENCH-LAB-READY 6.1.192\r', false).kind, 'ready');
  assert.deepEqual(classifySerialLine('hello\r', true), { kind: 'output', line: 'hello' });
  assert.deepEqual(classifySerialLine('IPCBENCH-LAB-EXIT 42\r', true), { kind: 'exit', line: 'IPCBENCH-LAB-EXIT 42', code: 42 });
  assert.equal(classifySerialLine('echo IPCBENCH-LAB-EXIT 1 from a user', true).kind, 'output', 'only a whole-line marker counts');
  assert.equal(classifySerialLine('[    2.0] Kernel panic - not syncing: Attempted to kill init!', true).kind, 'panic');
});

test('per-accelerator and per-variant kernel parameters', () => {
  assert.deepEqual(accelKernelArgs('tcg'), ['tsc=reliable']);
  assert.deepEqual(accelKernelArgs('kvm'), []);
  assert.deepEqual(variantKernelArgs('debug'), ['acpi=noirq']);
  assert.deepEqual(variantKernelArgs('default'), []);
});
