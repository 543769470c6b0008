// This checkout's bin/guard, by absolute path: what the demo spawns and droid's hooks call.
import { fileURLToPath } from 'node:url';

// Absolute, so hooks and subprocesses work without guard on PATH.
export function guardBinPath(): string {
  return fileURLToPath(new URL('../../../bin/guard', import.meta.url));
}
