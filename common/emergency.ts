// SPDX-License-Identifier: MIT
// Emergency cleanup: what must not outlive the process when it leaves without its orderly cleanup (a second
// Ctrl-C while the first one's cleanup runs, or any process.exit): the temporary directories it made and the
// processes it started (peers, bus daemons), held here while they exist and released once cleaned up the normal
// way. On exit, whatever is still held is killed (SIGKILL) and removed, synchronously, from an 'exit' hook.
import { rmSync } from 'node:fs';

const dirs = new Set<string>();
const pids = new Set<number>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', emergencyCleanup);
}

/** Remove dir on an emergency exit; call the returned function once it has been removed the normal way. */
export function holdDir(dir: string): () => void {
  hook();
  dirs.add(dir);
  return () => dirs.delete(dir);
}

/** Kill pid on an emergency exit; call the returned function once it has been reaped (its pid may be reused). */
export function holdPid(pid: number | undefined): () => void {
  if (pid === undefined) return () => {};
  hook();
  pids.add(pid);
  return () => pids.delete(pid);
}

/** What is still held: for messages and tests. */
export function held(): { dirs: string[]; pids: number[] } {
  return { dirs: [...dirs], pids: [...pids] };
}

/** Kill every held process and remove every held directory (synchronous: safe in an 'exit' hook). */
export function emergencyCleanup(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  pids.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* nothing more to do on the way out */
    }
  }
  dirs.clear();
}
