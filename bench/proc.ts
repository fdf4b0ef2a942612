import { readFileSync } from 'node:fs';

/** What every bench reads of a process from /proc (Linux). Null when the process is gone. */

/** CPU (user + system) the process has used so far, in ms; /proc counts USER_HZ ticks, 100 a second on Linux. */
export function cpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory, in MiB. */
export function rssMiB(pid: number): number | null {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return null;
  }
}

/** Ticks the whole machine has spent busy and in all, over all cores (/proc/stat's first line). */
export function machineTicks(): { busy: number; total: number } {
  // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice).
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = user! + nice! + system! + irq + softirq;
  // Steal is time the hypervisor gave away: neither our work nor idle.
  return { busy, total: busy + idle! + iowait + steal };
}
