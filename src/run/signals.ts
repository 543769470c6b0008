/**
 * Signals sent to `guard run`, passed on to its child without delivering a terminal's signal twice.
 *
 * Theory of operation: Ctrl-C at a terminal sends SIGINT to every process of the foreground
 * process group, so the guard and an attached child both get it; forwarding it as well would
 * deliver it twice (an interactive orchestrator reads a second Ctrl-C as "quit now"). A
 * `kill -INT <guard pid>` reaches the guard alone and must be forwarded. Node cannot tell who sent
 * a signal, so the guard decides from where it stands:
 * - SIGTERM is never sent by a terminal: always forwarded.
 * - SIGINT and SIGHUP: not forwarded when the child is attached and the guard runs in the
 *   foreground of the terminal on its stdin (Linux: /proc/self/stat pgrp equals the terminal's
 *   foreground group; elsewhere: stdin is a TTY), because the terminal delivered them to the child
 *   already. A hangup also counts when the terminal is gone (the kernel and the shell send SIGHUP
 *   to the foreground job). Otherwise (no terminal, the guard in the background, a detached
 *   child) they are forwarded.
 * - SIGWINCH: only a detached child needs it forwarded (it is outside the terminal's groups).
 * The cost, by choice: while the guard runs interactively in the foreground, a `kill -INT` from
 * another terminal is not forwarded; `kill -TERM <guard pid>` always is.
 */
import { readFileSync } from 'node:fs';
import type { Child } from './child.js';

/** The signals `guard run` passes on (DESIGN.md §9: SIGINT, SIGTERM, SIGHUP; SIGWINCH when detached). */
export const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGWINCH'];

type TerminalPosition = 'foreground' | 'background' | 'gone' | 'unknown';

/** Installed before the child exists, so a stop signal during the baseline is not lost. */
export interface SignalRelay {
  /** The first stop signal that arrived before a child was attached (the run must not start). */
  readonly early: NodeJS.Signals | undefined;
  /** Resolves with that first early stop signal (a start in progress stops at once). */
  readonly whenEarly: Promise<NodeJS.Signals>;
  attach(child: Child): void;
  dispose(): void;
}

// Listen for the forwarded signals from now on; `terminal` says whether stdin is a TTY.
export function relaySignals(terminal: boolean, onForward: (signal: NodeJS.Signals) => void = () => undefined): SignalRelay {
  let child: Child | undefined;
  let early: NodeJS.Signals | undefined;
  let reportEarly: (signal: NodeJS.Signals) => void = () => undefined;
  const whenEarly = new Promise<NodeJS.Signals>((resolve) => (reportEarly = resolve));
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of FORWARDED) {
    const handler = () => {
      if (child === undefined) {
        if (signal !== 'SIGWINCH') {
          early ??= signal;
          reportEarly(signal);
        }
        return;
      }
      if (terminalDelivered(signal, child.detached, terminal)) return;
      onForward(signal);
      child.signal(signal);
      // A suspended child cannot act on the signal; the sender wants it to.
      if (signal !== 'SIGWINCH') child.resume();
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return {
    get early() {
      return early;
    },
    whenEarly,
    attach(next) {
      child = next;
    },
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      handlers.clear();
    },
  };
}

// Whether the terminal itself already sent this signal to the (attached) child.
export function terminalDelivered(signal: NodeJS.Signals, detached: boolean, terminal: boolean): boolean {
  if (signal === 'SIGWINCH') return !detached;
  if (detached || !terminal || signal === 'SIGTERM') return false;
  const position = terminalPosition();
  if (signal === 'SIGHUP') return position !== 'background';
  return position === 'foreground' || position === 'unknown';
}

function terminalPosition(): TerminalPosition {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return 'unknown';
  }
  // After "pid (comm) ": state ppid pgrp session tty_nr tpgid ...; comm may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  const tty = Number(fields[4]);
  const foreground = Number(fields[5]);
  if (!Number.isInteger(pgrp) || !Number.isInteger(foreground)) return 'unknown';
  if (tty === 0 || foreground <= 0) return 'gone';
  return foreground === pgrp ? 'foreground' : 'background';
}
