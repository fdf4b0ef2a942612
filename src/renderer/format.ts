/** Human units for the dashboard. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "3 open connections", "1 open connection", "no open connections". */
export function openConnections(n: number): string {
  if (n === 0) return 'no open connections';
  return `${n} open connection${n === 1 ? '' : 's'}`;
}

/** Seconds left until `at`, for a countdown: "in 7 s", "now". */
export function countdown(at: number, now: number): string {
  const s = Math.ceil((at - now) / 1000);
  return s <= 0 ? 'now' : `in ${s} s`;
}
