// Approvals only a human may give (guard ack, guard repair --reopen, guard config adopt): a yes at
// a terminal, or HUMAN_FLAG on the command line for scripts a human runs. Agents get neither:
// their tool calls run without a terminal, and the hook denies any shell command that carries the
// flag or runs these commands at all (SECURITY.md).
import { createInterface } from 'node:readline/promises';
import { GuardError } from '../errors.js';
import type { Context } from './command.js';

/** The flag that says "a human runs this script"; documented for humans, denied to agents. */
export const HUMAN_FLAG = 'yes-i-am-human';

export const humanOption = { [HUMAN_FLAG]: { type: 'boolean' } } as const;

// Resolves when a human confirmed; throws USAGE (exit 2) without a terminal or the flag, and
// REPAIR_REFUSED (exit 1) when the human said no.
export async function confirmHuman(ctx: Context, values: { [HUMAN_FLAG]?: boolean }, question: string): Promise<void> {
  if (values[HUMAN_FLAG] === true) return;
  const tty = ctx.io.stdin.isTTY === true && (ctx.io.stderr as { isTTY?: boolean }).isTTY === true;
  if (!tty) {
    throw new GuardError('USAGE', `${question.replace(/\?$/, '')}: this needs a human. Run it at a terminal and answer the question, or, in a script that a human runs (never an agent), add --${HUMAN_FLAG}`);
  }
  const prompt = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const answer = (await prompt.question(`${question} [y/N] `)).trim();
    if (!/^y(es)?$/i.test(answer)) throw new GuardError('REPAIR_REFUSED', 'not confirmed; nothing was changed');
  } finally {
    prompt.close();
  }
}
