// Peer processes: one fresh ipcbench-peer per server/subscriber per repetition. A peer says "READY ipcbench-peer
// <protocol>" once attached and "REPORT {json}" after the goodbye; anything else it says goes to stderr, which
// becomes the case's error reason when it fails. Peers die with the harness (PR_SET_PDEATHSIG in the peer, and
// execa's cleanup), and every peer is reaped before a repetition ends.
import { execa, type ResultPromise } from 'execa';
import { PEER_PATH, native } from '../common/addon.js';

export interface PeerReport {
  role: 'server' | 'subscriber';
  pid: number;
  ops: number;
  userNs: number;
  sysNs: number;
  vcsw: number;
  ivcsw: number;
  lost: number;
  duplicated: number;
  corrupted: number;
  late: number;
  /** subscriber: uncompressed V2 histogram, base64 */
  histogram?: string;
}

export interface PeerSpec {
  /** native/transports/<transport>.c and its variant */
  transport: string;
  variant?: string;
  role: 'server' | 'subscriber';
  fds: number[];
  maxMsg: number;
  cpu: number;
  address?: string;
  subscribers?: number;
  index?: number;
  interested?: boolean;
  lateNs?: number;
  fault?: string;
  extraArgs?: string[];
}

export class Peer {
  readonly process: ResultPromise;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | undefined; signal: string | undefined }>;
  private stdout = '';
  private stderrText = '';
  private done = false;

  constructor(readonly spec: PeerSpec) {
    const args = ['--transport', spec.transport, '--role', spec.role, '--max-msg', String(spec.maxMsg)];
    if (spec.variant) args.push('--variant', spec.variant);
    if (spec.fds.length) args.push('--fds', spec.fds.map((_, i) => String(i + 3)).join(','));
    if (spec.cpu >= 0) args.push('--cpu', String(spec.cpu));
    if (spec.address) args.push('--address', spec.address);
    if (spec.role === 'subscriber')
      args.push('--subscribers', String(spec.subscribers), '--index', String(spec.index), '--interested', spec.interested ? '1' : '0');
    if (spec.lateNs) args.push('--late-ns', String(spec.lateNs));
    if (spec.fault) {
      const [kind, at] = spec.fault.split('@');
      args.push('--fault', kind!, '--fault-at', at!);
    }
    if (spec.extraArgs) args.push(...spec.extraArgs);
    this.process = execa(PEER_PATH, args, {
      // execa passes integer fds through to child_process (they become fd 3, 4, ... in the peer); its types only
      // list the named forms, hence the cast.
      stdio: ['ignore', 'pipe', 'pipe', ...(spec.fds as unknown as 'pipe'[])],
      reject: false,
      buffer: false,
      cleanup: true,
      encoding: 'utf8',
    });
    this.process.stderr!.on('data', (d: Buffer | string) => {
      if (this.stderrText.length < 8192) this.stderrText += String(d);
    });
    this.ready = new Promise((resolve, reject) => {
      this.process.stdout!.on('data', (d: Buffer | string) => {
        this.stdout += String(d);
        if (this.stdout.startsWith(`READY ipcbench-peer ${native().protocol}\n`)) resolve();
        else if (this.stdout.startsWith('READY') && this.stdout.includes('\n'))
          reject(new Error(`peer speaks another protocol: ${this.stdout.split('\n')[0]} (harness speaks ${native().protocol}); rebuild with npm run build`));
      });
      void this.process.then((r) =>
        reject(
          new Error(
            r.exitCode === undefined && !r.signal
              ? `could not be started: ${r.originalMessage || r.shortMessage}`
              : `${this.describeExit({ code: r.exitCode, signal: r.signal })} before it was ready`,
          ),
        ),
      );
    });
    this.ready.catch(() => undefined);
    this.exited = this.process.then((r) => {
      this.done = true;
      return { code: r.exitCode, signal: r.signal };
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get stderr(): string {
    return this.stderrText.trim();
  }

  get finished(): boolean {
    return this.done;
  }

  /** A one-line reason: what the peer said on stderr, or how it died. */
  failure(what: string): string {
    const said = this.stderr.split('\n').filter(Boolean).slice(-3).join(' | ');
    return `${this.spec.role} peer ${what}${said ? `: ${said}` : ''}`;
  }

  describeExit(e: { code: number | undefined; signal: string | undefined }): string {
    return this.failure(e.signal ? `was killed by ${e.signal}` : `exited with status ${e.code}`);
  }

  report(): PeerReport | undefined {
    const line = this.stdout.split('\n').find((l) => l.startsWith('REPORT '));
    if (!line) return undefined;
    try {
      return JSON.parse(line.slice(7)) as PeerReport;
    } catch {
      return undefined;
    }
  }

  kill(): void {
    if (!this.done) this.process.kill('SIGKILL');
  }
}

/** Wait for every peer's READY, or fail with the first peer's reason; bounded by timeoutMs. */
export async function allReady(peers: readonly Peer[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`peers did not become ready within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.all(peers.map((p) => p.ready)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
