// SPDX-License-Identifier: MIT
// The environment pool: one live environment per transport (a private bus daemon, a binderfs mount, ...), set up
// on first use in a fresh 0700 temporary directory, checked before every use and restarted when broken, and torn
// down at the end (also after errors and on Ctrl-C). A setup that fails is remembered, so the transport's other
// cases fail at once with the same reason.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { holdDir, holdPid } from '../../common/emergency.js';
import type { Transport, TransportEnv } from '../../transports/types.js';

export interface LiveEnv {
  env: TransportEnv;
  dir: string;
  /** Releases what common/emergency.ts holds for it (its directory, its daemons). */
  release: () => void;
}

export type PoolEntry = LiveEnv | { failed: string };

export class EnvironmentPool {
  private readonly envs = new Map<string, { transport: Transport; entry: PoolEntry }>();

  constructor(
    private readonly signal: AbortSignal,
    private readonly log: (message: string) => void = () => {},
  ) {}

  /** The live environment of a transport (without setting one up), or {} when there is none yet. */
  peek(t: Transport): TransportEnv {
    const e = this.envs.get(t.name)?.entry;
    return e && 'env' in e ? e.env : {};
  }

  /** A working environment for t: the live one when its check passes, else a fresh one. */
  async acquire(t: Transport): Promise<PoolEntry> {
    const have = this.envs.get(t.name)?.entry;
    if (have && 'env' in have) {
      const broken = t.check?.(have.env);
      if (!broken) return have;
      this.log(`${t.name}: ${broken}; restarting its environment`);
      await this.teardownOne(t, have);
    } else if (have) return have;
    const dir = await mkdtemp(join(os.tmpdir(), `ipcbench-${t.name}-`)); // mkdtemp creates it 0700
    const releaseDir = holdDir(dir);
    try {
      const env = t.setup ? await t.setup({ dir, signal: this.signal, log: (m) => this.log(`${t.name}: ${m}`) }) : {};
      // a daemon kept until the harness exits has its own way to go then (types.ts daemonUntilExit)
      const releasePids = t.daemonUntilExit ? [] : (env.daemonPids ?? []).map((pid) => holdPid(pid));
      const live = {
        env,
        dir,
        release: () => {
          releaseDir();
          for (const r of releasePids) r();
        },
      };
      this.envs.set(t.name, { transport: t, entry: live });
      return live;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      releaseDir();
      const failed = { failed: `setup failed: ${(err as Error).message}` };
      this.envs.set(t.name, { transport: t, entry: failed });
      return failed;
    }
  }

  /**
   * A repetition of t timed out: its environment may be what hangs (a bus daemon that stopped answering). Returns
   * what the transport's check() says about it (to add to the reason), and tears it down: the next case gets a
   * fresh one.
   */
  async discard(t: Transport): Promise<string | undefined> {
    const have = this.envs.get(t.name)?.entry;
    if (!have || !('env' in have)) return undefined;
    const diagnosis = t.check?.(have.env);
    this.log(`${t.name}: a repetition timed out${diagnosis ? ` (${diagnosis})` : ''}; tearing its environment down, the next case gets a fresh one`);
    await this.teardownOne(t, have);
    return diagnosis;
  }

  private async teardownOne(t: Transport, live: LiveEnv): Promise<void> {
    try {
      await t.teardown?.(live.env);
    } catch (err) {
      this.log(`${t.name}: teardown: ${(err as Error).message}`);
    }
    await rm(live.dir, { recursive: true, force: true });
    live.release();
    this.envs.delete(t.name);
  }

  /** Tear down every live environment (always called at the end of a run). */
  async teardownAll(): Promise<void> {
    for (const { transport, entry } of [...this.envs.values()]) if ('env' in entry) await this.teardownOne(transport, entry);
    this.envs.clear();
  }
}
