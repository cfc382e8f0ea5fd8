// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ModulePolicy, distroIds, headersHint, loadRefusal, moduleRelease, parseLockdown } from './kernel-info.js';

const open: ModulePolicy = { root: true, modulesDisabled: false, sigEnforce: false, noModules: false };

test('lockdown mode is the bracketed word', () => {
  assert.equal(parseLockdown('none [integrity] confidentiality\n'), 'integrity');
  assert.equal(parseLockdown('[none] integrity confidentiality'), 'none');
  assert.equal(parseLockdown(undefined), undefined);
});

test('an unsigned module is refused with the reason: not root, no modules, disabled, lockdown, signatures', () => {
  assert.equal(loadRefusal(open, 'kdbus'), undefined);
  assert.match(loadRefusal({ ...open, root: false }, 'kdbus')!.message, /needs root.*nothing was changed[\s\S]*sudo ipcbench module load kdbus/);
  assert.match(loadRefusal({ ...open, noModules: true }, 'kdbus')!.message, /CONFIG_MODULES/);
  assert.match(loadRefusal({ ...open, modulesDisabled: true }, 'kdbus')!.message, /modules_disabled = 1/);
  assert.match(
    loadRefusal({ ...open, lockdown: 'integrity', secureBoot: true }, 'kdbus')!.message,
    /locked down \(lockdown=integrity, because Secure Boot is on\)[\s\S]*Machine Owner Key/,
  );
  assert.match(loadRefusal({ ...open, sigEnforce: true }, 'kdbus')!.message, /enforces module signatures/);
});

test("the distribution's own signed module (binder_linux) passes lockdown and signature checks, but not the rest", () => {
  assert.equal(loadRefusal({ ...open, lockdown: 'integrity', sigEnforce: true }, 'binder', true), undefined);
  assert.match(loadRefusal({ ...open, root: false }, 'binder', true)!.message, /needs root/);
  assert.match(loadRefusal({ ...open, modulesDisabled: true }, 'binder', true)!.message, /switched off/);
});

test('missing headers: the package that provides them on this distribution', () => {
  const ubuntu = distroIds('ID=ubuntu\nID_LIKE=debian\n');
  assert.deepEqual(ubuntu, ['ubuntu', 'debian']);
  assert.equal(headersHint('6.8.0-45-generic', ubuntu), 'Ubuntu: apt-get install linux-headers-6.8.0-45-generic');
  assert.equal(headersHint('6.1.0-57-amd64', distroIds('ID=debian\n')), 'Debian: apt-get install linux-headers-6.1.0-57-amd64');
  assert.equal(headersHint('6.11.4-301.fc41.x86_64', distroIds('ID=fedora\n')), 'Fedora: dnf install kernel-devel-6.11.4-301.fc41.x86_64');
  assert.match(headersHint('6.6.1', distroIds('ID="arch"\n')), /Debian: .*; Ubuntu: .*; Fedora: dnf install kernel-devel-6\.6\.1/);
});

test("a module's release is the first word of its vermagic", () => {
  const ko = Buffer.concat([Buffer.from('\0license=GPL\0vermagic=6.1.0-57-amd64 SMP preempt mod_unload modversions \0name=kdbus\0')]);
  assert.equal(moduleRelease(ko), '6.1.0-57-amd64');
  assert.equal(moduleRelease(Buffer.from('nothing here')), undefined);
});
