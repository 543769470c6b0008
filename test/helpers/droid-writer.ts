// Run test/fixtures/droid-writer.mjs: a real process that writes the way droid's Bun runtime does
// (open without O_TRUNC, write, ftruncate; appends with O_APPEND), beside the Node-style writers.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FIXTURES } from './index.js';

const run = promisify(execFile);

export interface DroidWriteOptions {
  append?: boolean;
  gapMs?: number;
  times?: number;
  everyMs?: number;
  mkdir?: boolean;
}

// Write `contents` to `file` as droid's runtime does; resolves once the writer process is done.
export async function droidWrite(file: string, contents: string | Uint8Array, options: DroidWriteOptions = {}): Promise<void> {
  const child = run(process.execPath, [join(FIXTURES, 'droid-writer.mjs'), file, '-', JSON.stringify(options)], { maxBuffer: 1 << 20 });
  child.child.stdin?.end(contents);
  const { stdout } = await child;
  if (stdout !== 'done\n') throw new Error(`droid-writer did not finish: ${stdout}`);
}
