// CPU time of processes the harness did not start itself as peers (bus daemons): read from /proc, so daemon
// cost is charged to each case like every other process's. Resolution is the kernel's clock tick (usually 10 ms).
import { readFileSync } from 'node:fs';

const TICK_NS = 1e9 / 100; // USER_HZ is 100 on every Linux architecture we run on

export interface ProcCpu {
  userNs: number;
  sysNs: number;
  vcsw: number;
  ivcsw: number;
}

export function readProcCpu(pid: number): ProcCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may contain spaces), see proc(5): utime is field 14, stime 15
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const num = (re: RegExp) => Number(re.exec(status)?.[1] ?? 0);
    return {
      userNs: Number(rest[11]) * TICK_NS,
      sysNs: Number(rest[12]) * TICK_NS,
      vcsw: num(/^voluntary_ctxt_switches:\s*(\d+)/m),
      ivcsw: num(/^nonvoluntary_ctxt_switches:\s*(\d+)/m),
    };
  } catch {
    return undefined;
  }
}

export function procCpuDelta(a: ProcCpu, b: ProcCpu): ProcCpu {
  return { userNs: b.userNs - a.userNs, sysNs: b.sysNs - a.sysNs, vcsw: b.vcsw - a.vcsw, ivcsw: b.ivcsw - a.ivcsw };
}
