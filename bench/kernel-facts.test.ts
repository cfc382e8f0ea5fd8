// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cmdlineParam, collectKernelFacts, kernelFactsLine, mitigationSummary, parseConfig, preemptionModel, userNamespaces } from './kernel-facts.js';
import { kernelFactsSchema } from './result.js';

const DEBIAN = parseConfig(
  'CONFIG_PREEMPT_VOLUNTARY=y\nCONFIG_PREEMPT_DYNAMIC=y\nCONFIG_HZ=250\nCONFIG_CPU_MITIGATIONS=y\nCONFIG_USER_NS=y\n# CONFIG_PREEMPT is not set\nCONFIG_X="q"\n',
);

test('config lines parse to a map; unset options are absent; quotes are dropped', () => {
  assert.equal(DEBIAN.get('CONFIG_HZ'), '250');
  assert.equal(DEBIAN.get('CONFIG_X'), 'q');
  assert.equal(DEBIAN.has('CONFIG_PREEMPT'), false);
  assert.equal(cmdlineParam('ro preempt=full mitigations=off quiet', 'mitigations'), 'off');
  assert.equal(cmdlineParam('ro', 'preempt'), undefined);
});

test('preemption: debugfs wins, then config with preempt= for dynamic kernels, then uname -v', () => {
  assert.equal(preemptionModel({ debugfs: 'none voluntary (full) lazy\n', config: DEBIAN }), 'full (dynamic)');
  assert.equal(preemptionModel({ config: DEBIAN, cmdline: 'ro' }), 'voluntary (dynamic)');
  assert.equal(preemptionModel({ config: DEBIAN, cmdline: 'preempt=full' }), 'full (dynamic, preempt= on the command line)');
  assert.equal(preemptionModel({ config: parseConfig('CONFIG_PREEMPT_VOLUNTARY=y\n') }), 'voluntary');
  assert.equal(preemptionModel({ config: parseConfig('CONFIG_PREEMPT=y\n') }), 'full');
  assert.equal(preemptionModel({ config: parseConfig('CONFIG_PREEMPT_RT=y\n') }), 'rt');
  assert.equal(preemptionModel({ config: parseConfig('CONFIG_HZ=100\n') }), 'none');
  assert.match(preemptionModel({ unameV: '#1 SMP PREEMPT_DYNAMIC Debian' }), /dynamic \(mode unknown/);
  assert.equal(preemptionModel({ unameV: '#1 SMP PREEMPT Tue' }), 'full');
});

test('mitigations: off by parameter, off by config, or what sysfs says is mitigated', () => {
  const v = { meltdown: 'Mitigation: PTI', spectre_v2: 'Mitigation: Retpolines', mds: 'Vulnerable: Clear CPU buffers attempted', l1tf: 'Not affected' };
  assert.equal(mitigationSummary(v, DEBIAN, 'mitigations=off'), 'off (mitigations=off)');
  assert.equal(mitigationSummary(v, DEBIAN, ''), 'on: 2 mitigated (PTI), 1 vulnerable, 1 not affected');
  assert.match(mitigationSummary(v, parseConfig('CONFIG_HZ=100\n'), ''), /^off \(kernel built without CPU_MITIGATIONS\)/);
  assert.match(mitigationSummary({ l1tf: 'Not affected' }, DEBIAN, ''), /^none needed on this CPU/);
  assert.match(mitigationSummary({}, undefined, ''), /unknown/);
});

test('user namespaces: built in, switched off, or root only', () => {
  assert.deepEqual(userNamespaces({ nsLink: true, maxUserNs: '1000\n', config: DEBIAN }), { available: true, detail: 'yes (max 1000)' });
  assert.equal(userNamespaces({ nsLink: false, config: parseConfig('CONFIG_HZ=1\n') }).available, false);
  assert.match(userNamespaces({ nsLink: true, maxUserNs: '0' }).detail, /max_user_namespaces = 0/);
  assert.match(userNamespaces({ nsLink: true, maxUserNs: '5', unprivClone: '0' }).detail, /root only/);
});

test('the facts of this machine fit the result schema and read as one line', () => {
  const k = collectKernelFacts({ IPCBENCH_LAB_KERNEL: 'debian-6.1' });
  assert.doesNotThrow(() => kernelFactsSchema.parse(k));
  assert.equal(k.labKernel, 'debian-6.1');
  assert.match(kernelFactsLine(k), /^kernel \S+ \(debian-6\.1\), preempt .+, (HZ=\d+|HZ unknown), mitigations .+, user namespaces (yes|no)$/);
});
