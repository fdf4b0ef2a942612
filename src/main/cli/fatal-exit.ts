/**
 * What a command must undo before the process dies of a bug: `web` and `up` stop their tunnels
 * (listeners closed, remote forwards cancelled) instead of leaving the server side half-open.
 */
type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
/** A bug inside a cleanup must not keep a dying process alive. */
const CLEANUP_LIMIT_MS = 5_000;
let exiting = false;

export function onFatalExit(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup once (bounded in time), then exits with `code`. */
export async function fatalExit(code: number, exit: (code: number) => void = (c) => process.exit(c)): Promise<void> {
  if (exiting) return;
  exiting = true;
  const all = [...cleanups].map((c) => c().catch(() => undefined));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(all), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEANUP_LIMIT_MS)))]);
  clearTimeout(timer);
  exit(code);
}
