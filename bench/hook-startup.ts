// `guard hook` for a tool call that touches no artifact, against `node -e 0`: both spawned many
// times, interleaved, medians compared. The guard home holds a guarded mission, as it would on a
// machine where the guard is in use.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MissionStore } from '../src/mission/mission-store.js';
import { loadDroidProfile } from '../src/profiles/profile.js';
import { createBenchMission } from './missions.js';
import { result, type BenchResult } from './report.js';
import { median, ms, runGuard, runTimed, scratch } from './util.js';

const TARGET = 1.5;

export async function benchHook(rounds = 40): Promise<BenchResult[]> {
  const box = scratch('hook');
  try {
    const mission = join(box.dir, 'user-home', '.factory', 'missions', 'mission-1');
    createBenchMission(mission);
    const project = join(box.dir, 'project');
    mkdirSync(join(project, 'src'), { recursive: true });
    // Give the mission guard state, so the hook's mission lookup has something to find.
    const store = await MissionStore.open(box.home, mission, loadDroidProfile());
    await store.append({ kind: 'baseline', artifacts: 0, frozen: false });
    const read = JSON.stringify({ session_id: 'bench', cwd: project, hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: join(project, 'src', 'app.ts') } });
    const write = JSON.stringify({ session_id: 'bench', cwd: project, hook_event_name: 'PreToolUse', tool_name: 'Write', tool_input: { file_path: join(project, 'src', 'app.ts'), content: 'export const answer = 42;\n' } });
    const node: number[] = [];
    const hookRead: number[] = [];
    const hookWrite: number[] = [];
    for (let i = 0; i < rounds + 3; i++) {
      const baseline = await runTimed(process.execPath, ['-e', '0'], { input: read });
      const a = await runGuard(['hook'], box.env, read);
      const b = await runGuard(['hook'], box.env, write);
      if (a.code !== 0 || b.code !== 0) throw new Error(`guard hook denied or failed an unrelated call (${a.code}, ${b.code}): ${a.stderr}${b.stderr}`);
      if (i < 3) continue; // warm the page cache first
      node.push(baseline.ms);
      hookRead.push(a.ms);
      hookWrite.push(b.ms);
    }
    const base = median(node);
    const row = (id: string, times: number[], what: string) =>
      result({
        id,
        target: `<= ${TARGET}x node -e 0`,
        measured: `${ms(median(times))} median (${what})`,
        baseline: `node -e 0 ${ms(base)} median`,
        ratio: median(times) / base,
        bound: { op: '<=', value: TARGET },
        details: { rounds, hookMs: times, nodeMs: node },
      });
    return [row('guard hook, non-artifact call', hookRead, 'Read payload'), row('guard hook, non-artifact write', hookWrite, 'Write to a project file')];
  } finally {
    box.cleanup();
  }
}
