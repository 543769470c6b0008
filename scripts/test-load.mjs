#!/usr/bin/env node
// `npm run test:load`: the whole suite while two busy loops load both cores. No test may depend on
// an idle machine (a writer descheduled mid-write, a watcher queue that lags): this proves it.
import { spawn, spawnSync } from 'node:child_process';

const loops = [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const stop = () => loops.forEach((loop) => loop.kill('SIGKILL'));
process.on('exit', stop);
const result = spawnSync(process.execPath, ['scripts/test.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
stop();
process.exit(result.status ?? 1);
