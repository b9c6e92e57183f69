/**
 * Preloaded into a platform process by `bench:dispatch -- --loop`
 * (`NODE_OPTIONS=--import <this file>`, `LOOP_PROBE_DIR` set): the event loop's delay and the
 * garbage collector's pauses of the process that runs src/main.ts, since the bench wrote
 * `LOOP_PROBE_DIR/start` (the campaign's start), written every second to
 * `LOOP_PROBE_DIR/<ROLE>-<pid>.json` for the bench to print. tsx runs the program in a child of its
 * launcher and both load this file: only the process running src/main.ts measures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { watchGcPauses } from './gc-pauses.mjs';

const dir = process.env.LOOP_PROBE_DIR;
if (dir && /src[\\/]main\.ts$/.test(process.argv[1] ?? '')) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gc = {};
  let startedAt = 0;
  watchGcPauses((kind, ms) => {
    const stats = (gc[kind] ??= { count: 0, ms: 0, longestMs: 0 });
    stats.count++;
    stats.ms += ms;
    stats.longestMs = Math.max(stats.longestMs, ms);
  });
  const file = path.join(dir, `${process.env.ROLE ?? 'all'}-${process.pid}.json`);
  setInterval(() => {
    const start = fs.statSync(path.join(dir, 'start'), { throwIfNoEntry: false });
    if (!start) return;
    if (start.mtimeMs !== startedAt) {
      startedAt = start.mtimeMs;
      delay.reset();
      gc = {};
      return;
    }
    const ms = (nanoseconds) => Math.round(nanoseconds / 1e5) / 10;
    const loop = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
    fs.writeFileSync(file, JSON.stringify({ role: process.env.ROLE ?? 'all', loop, gc }));
  }, 1000).unref();
}
