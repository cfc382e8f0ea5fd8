// SPDX-License-Identifier: MIT
// KVM or TCG: the decision, with fakes for /dev/kvm, the remembered verdict and the boot attempts (these
// machines have no working KVM, so a real KVM boot cannot be tested here).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AccelDeps, type KvmVerdict, chooseAccelAndBoot } from './accel.js';
import type { AttemptResult } from './qemu.js';
import { LabError, LabInterrupted } from './config.js';
import type { Accel } from './cmdline.js';

interface Fake {
  deps: AccelDeps;
  attempts: Accel[];
  verdicts: { works: boolean; reason: string }[];
  logs: string[];
}

function fake(o: { usable?: boolean; reason?: string; verdict?: KvmVerdict; kvm?: AttemptResult; tcg?: AttemptResult }): Fake {
  const f: Fake = { attempts: [], verdicts: [], logs: [], deps: undefined as unknown as AccelDeps };
  const ok: AttemptResult = { ok: true, exitCode: 0, bootMs: 1000 };
  f.deps = {
    kvmUsable: () => ({ usable: o.usable ?? true, reason: o.reason ?? '' }),
    readVerdict: () => o.verdict,
    writeVerdict: (works, reason) => f.verdicts.push({ works, reason }),
    attempt: async (accel) => {
      f.attempts.push(accel);
      return (accel === 'kvm' ? o.kvm : o.tcg) ?? ok;
    },
    log: (l) => f.logs.push(l),
    verdictFile: '/cache/kvm-verdict.json',
  };
  return f;
}

const hung: AttemptResult = { ok: false, stage: 'boot', reason: 'init did not start within 20 s (hung boot?)' };

test('no /dev/kvm: TCG at once, and the reason says so', async () => {
  const f = fake({ usable: false, reason: 'no /dev/kvm' });
  const r = await chooseAccelAndBoot('auto', f.deps);
  assert.equal(r.accel, 'tcg');
  assert.deepEqual(f.attempts, ['tcg']);
  assert.match(r.reason, /KVM unusable: no \/dev\/kvm/);
  assert.deepEqual(f.verdicts, []);
});

test('working KVM: one KVM boot, lab-kvm, the verdict remembered', async () => {
  const f = fake({});
  const r = await chooseAccelAndBoot('auto', f.deps);
  assert.equal(r.accel, 'kvm');
  assert.deepEqual(f.attempts, ['kvm']);
  assert.deepEqual(f.verdicts, [{ works: true, reason: 'booted' }]);
  assert.match(r.reason, /KVM works/);
});

test('KVM that does not reach init in time: verdict against it, said on stderr, the run continues under TCG', async () => {
  const f = fake({ kvm: hung });
  const r = await chooseAccelAndBoot('auto', f.deps);
  assert.equal(r.accel, 'tcg');
  assert.deepEqual(f.attempts, ['kvm', 'tcg']);
  assert.deepEqual(f.verdicts, [{ works: false, reason: hung.ok ? '' : hung.reason }]);
  assert.ok(f.logs.some((l) => /falling back to software emulation/.test(l)));
  assert.match(r.reason, /KVM did not boot/);
});

test('a remembered failure skips the KVM attempt under auto, but --accel kvm retries it', async () => {
  const verdict = { bootId: 'b', works: false, reason: 'failed to set MSR 0x10a' };
  const auto = fake({ verdict });
  const r = await chooseAccelAndBoot('auto', auto.deps);
  assert.equal(r.accel, 'tcg');
  assert.deepEqual(auto.attempts, ['tcg']);
  assert.match(r.reason, /MSR 0x10a/);
  const forced = fake({ verdict });
  assert.equal((await chooseAccelAndBoot('kvm', forced.deps)).accel, 'kvm');
  assert.deepEqual(forced.attempts, ['kvm']);
});

test('--accel kvm never falls back: an unusable /dev/kvm is an error, a failed boot is reported as KVM', async () => {
  await assert.rejects(
    chooseAccelAndBoot('kvm', fake({ usable: false, reason: 'no permission on /dev/kvm' }).deps),
    (e: unknown) => e instanceof LabError && /no permission/.test(e.message),
  );
  const f = fake({ kvm: hung });
  const r = await chooseAccelAndBoot('kvm', f.deps);
  assert.equal(r.accel, 'kvm');
  assert.equal(r.result.ok, false);
  assert.deepEqual(f.attempts, ['kvm']);
});

test('--accel tcg never touches KVM; a KVM boot that reached init counts as KVM even if the command failed', async () => {
  const t = fake({});
  assert.equal((await chooseAccelAndBoot('tcg', t.deps)).accel, 'tcg');
  assert.deepEqual(t.attempts, ['tcg']);
  const runFail = fake({ kvm: { ok: false, stage: 'run', reason: 'timed out after 60 s', bootMs: 900 } });
  assert.equal((await chooseAccelAndBoot('auto', runFail.deps)).accel, 'kvm');
  assert.deepEqual(runFail.attempts, ['kvm']);
});

test('Ctrl-C during the KVM attempt stops everything; a bad choice is an error', async () => {
  await assert.rejects(chooseAccelAndBoot('auto', fake({ kvm: { ok: false, stage: 'boot', reason: 'interrupted' } }).deps), LabInterrupted);
  await assert.rejects(chooseAccelAndBoot('hvf' as 'auto', fake({}).deps), /bad accelerator/);
});
