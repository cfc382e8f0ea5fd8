// Which transports can run here, and why not: the transport's own probe plus "is it compiled into the addon".
import { native } from './native.js';
import type { TransportStatus } from './result.js';
import { TRANSPORTS } from '../transports/index.js';

export async function probeAll(names: readonly string[] = TRANSPORTS.map((t) => t.name)): Promise<TransportStatus[]> {
  const compiled = new Map(native().transports().map((t) => [t.name, t]));
  return Promise.all(
    TRANSPORTS.filter((t) => names.includes(t.name)).map(async (t): Promise<TransportStatus> => {
      const n = compiled.get(t.nativeName);
      if (!n)
        return { name: t.name, available: false, reason: `not built into the native addon (its build dependencies were missing at build time: run ./scripts/setup)` };
      if (n.unavailable) return { name: t.name, available: false, reason: n.unavailable };
      try {
        const p = await t.probe();
        return { name: t.name, available: p.available, reason: p.available ? undefined : p.reason, version: p.version };
      } catch (err) {
        return { name: t.name, available: false, reason: `probe failed: ${(err as Error).message}` };
      }
    }),
  );
}
