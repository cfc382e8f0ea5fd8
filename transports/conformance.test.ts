// SPDX-License-Identifier: MIT
// Conformance: every registered transport that is available here runs through the real runner (fresh peers, the
// addon, its environment) and must
//   1. carry RPC and broadcast at two sizes, intact and lossless (the drivers verify every payload); a size above
//      the mechanism's own limit is skipped with the transport's reason, a workload it lacks with its reason;
//   2. let an injected integrity fault through to the checks (the peer's --fault corrupt), which must catch it —
//      unless the transport declares `noCorruptionInjection` with a reason;
//   3. leave nothing behind: no child process, nothing in its temporary directory (sockets, configs, mounts).
// A new transport is tested by being registered. Unavailable transports are skipped with their reason.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { collectHost } from '../bench/host.js';
import { headerSize } from '../bench/native.js';
import { DEFAULTS, parseRunOptions } from '../bench/options.js';
import { probeAll } from '../bench/probe.js';
import { SCHEMA_NAME, SCHEMA_VERSION, type CaseResult, type ResultDocument } from '../bench/result.js';
import { Runner } from '../bench/runner/runner.js';
import { TRANSPORTS, TRANSPORT_NAMES } from './index.js';

const SIZES = '64,16K';
// every run's temporary directories land here, so that the test can see what a transport leaves behind (a short
// name: zeromq's ipc:// endpoints live two directories down and AF_UNIX paths hold only 107 bytes; under
// scripts/test's TMPDIR a longer name left no room at all)
const tmp = mkdtempSync(join(os.tmpdir(), 'ipcb-conf-'));
const savedTmp = process.env.TMPDIR;
process.env.TMPDIR = tmp;
after(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(tmp, { recursive: true, force: true });
});

/** Pids of every live descendant of this process (peers, bus daemons, launchers). */
function descendants(): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parent.set(Number(e), Number(fields[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent)
      if (ppid === pid) {
        out.push(child);
        walk(child);
      }
  };
  walk(process.pid);
  return out;
}

async function run(transport: string, extra: { fault?: string; sizes?: string; broadcastSizes?: string }): Promise<CaseResult[]> {
  const opts = parseRunOptions(
    {
      ...DEFAULTS,
      transports: transport,
      workloads: 'rpc,broadcast',
      sizes: extra.sizes ?? SIZES,
      broadcastSizes: extra.broadcastSizes ?? SIZES,
      placement: 'unpinned',
      broadcastPlacement: 'unpinned',
      subscribers: '3',
      uninterested: '1',
      repetitions: '1',
      minRepetitions: '1',
      duration: '20',
      warmup: '5',
      timeout: '15000',
      fault: extra.fault,
    },
    TRANSPORT_NAMES,
    TRANSPORT_NAMES,
    headerSize(),
  );
  const doc: ResultDocument = {
    schema: SCHEMA_NAME,
    schemaVersion: SCHEMA_VERSION,
    runId: 'conformance',
    startedAt: new Date().toISOString(),
    complete: false,
    argv: [],
    options: {},
    host: collectHost(),
    warnings: [],
    transports: await probeAll([transport]),
    cases: [],
  };
  await new Runner(opts, doc, new AbortController().signal).run();
  return doc.cases;
}

function label(c: CaseResult): string {
  return `${c.key.workload} ${c.key.size} B: ${c.state}${c.reason ? ` (${c.reason})` : ''}`;
}

const statuses = await probeAll();

for (const t of TRANSPORTS) {
  const status = statuses.find((s) => s.name === t.name)!;
  describe(`conformance: ${t.name}`, { skip: !status.available && `unavailable here: ${status.reason}` }, () => {
    test('RPC and broadcast at two sizes arrive intact and complete', async () => {
      const all = await run(t.name, {});
      // a workload the transport does not implement is skipped, with its reason
      for (const c of all.filter((x) => !t.workloads.includes(x.key.workload))) {
        assert.equal(c.state, 'skipped', label(c));
        assert.match(c.reason ?? '', /does not implement/, label(c));
      }
      const cases = all.filter((x) => t.workloads.includes(x.key.workload));
      const expected = t.workloads.length * 2;
      assert.equal(cases.length, expected, all.map(label).join('; '));
      for (const w of t.workloads)
        assert.ok(
          cases.some((c) => c.key.workload === w && c.state === 'ok'),
          `${w} runs at some size: ${cases.map(label).join('; ')}`,
        );
      for (const c of cases) {
        // a size over the mechanism's own limit (a message queue's msgmax) is skipped with the reason the transport gives
        const limit = t.skipReason?.({ workload: c.key.workload, size: c.key.size, subscribers: c.key.subscribers, concurrency: c.key.concurrency }, {});
        if (limit) {
          assert.equal(c.state, 'skipped', label(c));
          assert.equal(c.reason, limit);
          continue;
        }
        assert.equal(c.state, 'ok', label(c));
        const rep = c.repetitions[0]!;
        assert.ok(rep.ops > 0, label(c));
        if (c.key.workload === 'broadcast') {
          assert.equal(rep.delivery!.corrupted, 0, label(c));
          assert.equal(rep.delivery!.lost, 0, label(c));
          assert.equal(rep.delivery!.delivered, rep.delivery!.expected, label(c));
        }
      }
    });

    const injectable = t.workloads.filter((w) => !t.noCorruptionInjection?.[w]);
    const why = Object.entries(t.noCorruptionInjection ?? {})
      .map(([w, r]) => `${w}: ${r}`)
      .join('; ');
    test(
      `an injected corruption is caught by the integrity checks${why ? ` (not injectable in ${why})` : ''}`,
      { skip: injectable.length === 0 && why },
      async () => {
        const cases = (await run(t.name, { fault: 'corrupt@1', sizes: '64', broadcastSizes: '64' })).filter((c) => injectable.includes(c.key.workload));
        assert.equal(cases.length, injectable.length);
        for (const c of cases) {
          assert.equal(c.state, 'errored', label(c));
          assert.match(c.reason ?? '', /integrity check failed/, label(c));
        }
      },
    );

    const until = t.daemonUntilExit ? ` (its daemon lives on, detached, until the process exits: ${t.daemonUntilExit})` : '';
    test(`teardown leaves no process and no file behind${until}`, () => {
      assert.deepEqual(descendants(), []);
      assert.deepEqual(readdirSync(tmp), []);
    });
  });
}
