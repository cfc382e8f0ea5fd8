// Which transports can run here, and why not: the transport's own probe plus "is it compiled into the addon".
import { native } from './native.js';
import type { TransportStatus } from './result.js';
import { TRANSPORTS } from '../transports/index.js';

export async function probeAll(names: readonly string[] = TRANSPORTS.map((t) => t.name)): Promise<TransportStatus[]> {
  const compiled = new Map(
    native()
      .transports()
      .map((t) => [t.name, t]),
  );
  return Promise.all(
    TRANSPORTS.filter((t) => names.includes(t.name)).map(async (t): Promise<TransportStatus> => {
      const n = compiled.get(t.native);
      if (t.plugin) return { name: t.name, available: true, version: (await t.probe()).version }; // loaded and checked already
      if (!n) return { name: t.name, available: false, reason: `native/transports/${t.native}.c is not built into the addon (npm run build)` };
      if (n.unavailable) return { name: t.name, available: false, reason: n.unavailable };
      if (t.variant && !n.variants.includes(t.variant))
        return {
          name: t.name,
          available: false,
          reason: `native/transports/${t.native}.c has no variant ${t.variant} (it has: ${n.variants.join(', ') || 'none'})`,
        };
      try {
        const p = await t.probe();
        return { name: t.name, available: p.available, reason: p.available ? undefined : p.reason, version: p.version };
      } catch (err) {
        return { name: t.name, available: false, reason: `probe failed: ${(err as Error).message}` };
      }
    }),
  );
}
