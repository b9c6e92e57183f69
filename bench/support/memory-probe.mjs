/**
 * Preloaded into a platform process by benchmarks (`NODE_OPTIONS=--expose-gc --import <this file>`):
 * on SIGUSR2 it collects garbage (twice, so that finalizers' garbage goes too) and prints its
 * memory as one line, `[memory-probe] {"pid":…,"rss":…,"heapUsed":…,…}`, on stdout.
 *
 * For profiling (directories given in the environment):
 * - MEMORY_PROBE_HEAP_SNAPSHOTS=<dir>: a heap snapshot at every sample;
 * - MEMORY_PROBE_CPU_PROFILE=<dir>: a CPU profile from the 2nd sample to the 3rd (in bench:inbox,
 *   from the connections opened to the end of the load rounds).
 *
 * tsx runs the program in a child process of its launcher, and both load this file: only the
 * process that runs src/main.ts answers (the launcher does not forward SIGUSR2 anyway).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import process from 'node:process';
import { writeHeapSnapshot } from 'node:v8';

if (/src[\\/]main\.ts$/.test(process.argv[1] ?? '')) {
  const snapshots = process.env.MEMORY_PROBE_HEAP_SNAPSHOTS;
  const profiles = process.env.MEMORY_PROBE_CPU_PROFILE;
  let samples = 0;
  let session = null;
  process.stdout.write(`[memory-probe] ready ${process.pid}\n`);
  process.on('SIGUSR2', async () => {
    samples++;
    if (profiles && samples === 3 && session) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(path.join(profiles, `api-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
      session = null;
    }
    globalThis.gc?.();
    globalThis.gc?.();
    const usage = process.memoryUsage();
    // Written before the answer, so that the bench does not measure while the process is frozen writing it.
    if (snapshots) writeHeapSnapshot(path.join(snapshots, `api-${process.pid}-${Date.now()}.heapsnapshot`));
    if (profiles && samples === 2) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    process.stdout.write(`[memory-probe] ${JSON.stringify({ pid: process.pid, ...usage })}\n`);
  });
}
