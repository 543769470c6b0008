// A progress line for a long operation, on a terminal only (issue 11 item 8): written to stderr
// when stderr is a TTY and the caller is not in --json mode, at most every RATE_MS, only once the
// operation has run SHOW_AFTER_MS (a quick one prints nothing), and erased when it ends.

/** A replay quicker than this shows nothing. */
export const SHOW_AFTER_MS = 200;
const RATE_MS = 100;

export interface TtyProgress {
  /** Undefined when nothing is to be shown (not a terminal, or --json): pass it on as is. */
  update: ((done: number, total: number) => void) | undefined;
  /** Erase the line, if one was written. */
  end(): void;
}

export function ttyProgress(stream: { write(text: string): unknown }, label: string, enabled: boolean, now: () => number = () => performance.now()): TtyProgress {
  if (!enabled || (stream as { isTTY?: boolean }).isTTY !== true) return { update: undefined, end: () => undefined };
  const started = now();
  let last = -Infinity;
  let shown = false;
  return {
    update: (done, total) => {
      const at = now();
      if (at - started < SHOW_AFTER_MS || at - last < RATE_MS) return;
      last = at;
      shown = true;
      const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
      stream.write(`\r${label}: ${percent}% (${(done / 2 ** 20).toFixed(1)} of ${(total / 2 ** 20).toFixed(1)} MB)\x1b[K`);
    },
    end: () => {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
