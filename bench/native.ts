// The addon boundary (sharp's pattern): validate here, in TypeScript, with messages that name the argument;
// the C side trusts its input. Errors thrown by the addon are rethrown with a stack that points at the caller.
import { native, type Addon, type BroadcastRecord, type RpcRecord } from '../common/addon.js';

export * from '../common/addon.js';

export function headerSize(): number {
  return native().headerSize;
}

function rethrow(err: unknown, where: Error): never {
  const e = err instanceof Error ? err : new Error(String(err));
  e.stack = `${e.name}: ${e.message}\n${(where.stack ?? '').split('\n').slice(1).join('\n')}`;
  throw e;
}

export function prepareChannel(o: Parameters<Addon['prepare']>[0]): ReturnType<Addon['prepare']> {
  if (!Number.isInteger(o.maxMsg) || o.maxMsg < headerSize())
    throw new TypeError(`Expected an integer >= ${headerSize()} for maxMsg but received ${o.maxMsg}`);
  const where = new Error();
  try {
    return native().prepare(o);
  } catch (err) {
    rethrow(err, where);
  }
}

export async function runRpc(handles: number[], o: Parameters<Addon['runRpc']>[1]): Promise<RpcRecord> {
  if (handles.length === 0 || o.cpus.length !== handles.length)
    throw new TypeError(`Expected one CPU per channel but received ${o.cpus.length} for ${handles.length}`);
  const where = new Error();
  try {
    return await native().runRpc(handles, o);
  } catch (err) {
    rethrow(err, where);
  }
}

export async function runBroadcast(handle: number, o: Parameters<Addon['runBroadcast']>[1]): Promise<BroadcastRecord> {
  const where = new Error();
  try {
    return await native().runBroadcast(handle, o);
  } catch (err) {
    rethrow(err, where);
  }
}
