// SPDX-License-Identifier: MIT
// A minimal writer for the kernel's initramfs format (cpio "newc", see the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst). Written here rather than with cpio(1) so that
// device nodes (/dev/console) and root ownership need no root privileges.

export interface CpioEntry {
  /** Path inside the archive, without a leading slash ("bin/busybox"). */
  name: string;
  kind: 'file' | 'dir' | 'symlink' | 'chardev';
  /** Permission bits (default 0755 for dirs and files, 0777 for symlinks, 0600 for devices). */
  mode?: number;
  /** File contents, or the link target for a symlink. */
  data?: Buffer | string;
  /** Device numbers of a chardev. */
  major?: number;
  minor?: number;
}

const TYPE_BITS = { file: 0o100000, dir: 0o040000, symlink: 0o120000, chardev: 0o020000 } as const;
const DEFAULT_MODE = { file: 0o755, dir: 0o755, symlink: 0o777, chardev: 0o600 } as const;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`cpio: field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4);
}

/** One newc record: 110-byte header, NUL-terminated name padded to 4, data padded to 4. */
function record(ino: number, e: CpioEntry): Buffer[] {
  if (e.name.startsWith('/') || e.name.split('/').includes('..')) throw new Error(`cpio: bad entry name ${e.name}`);
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
  if ((e.kind === 'dir' || e.kind === 'chardev') && data.length) throw new Error(`cpio: ${e.kind} ${e.name} cannot have data`);
  const mode = TYPE_BITS[e.kind] | (e.mode ?? DEFAULT_MODE[e.kind]);
  const name = Buffer.from(`${e.name}\0`, 'utf8');
  const fields = [
    ino,
    mode,
    0, // uid
    0, // gid
    e.kind === 'dir' ? 2 : 1, // nlink
    0, // mtime: reproducible archives
    data.length,
    0, // dev major
    0, // dev minor
    e.kind === 'chardev' ? (e.major ?? 0) : 0,
    e.kind === 'chardev' ? (e.minor ?? 0) : 0,
    name.length,
    0, // check
  ];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return [header, name, pad4(header.length + name.length), data, pad4(data.length)];
}

/** The whole archive (uncompressed; the kernel unpacks plain newc as well as compressed ones). */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => parts.push(...record(i + 1, e)));
  parts.push(...record(entries.length + 1, { name: 'TRAILER!!!', kind: 'file', mode: 0 }));
  return Buffer.concat(parts);
}
