/**
 * Preloaded into a platform process by benchmarks (`NODE_OPTIONS=--expose-gc --import <this file>`):
 * on SIGUSR2 it collects garbage (twice, so that finalizers' garbage goes too) and prints its
 * memory as one line, `[memory-probe] {"pid":…,"rss":…,"heapUsed":…,…}`, on stdout.
 *
 * For profiling (directories given in the environment):
 * - MEMORY_PROBE_HEAP_SNAPSHOTS=<dir>: a heap snapshot at every sample;
 * - MEMORY_PROBE_CPU_PROFILE=<dir>: a CPU profile from the 2nd sample to the 3rd (in bench:inbox,
 *   from the connections opened to the end of the load rounds).
 * - MEMORY_PROBE_SURVIVORS=<dir>: a sampling heap profile, from the 2nd sample to the 3rd, of
 *   the allocations that survived a young-generation collection (what the scavenger copies);
 * - MEMORY_PROBE_GC=1: garbage-collection pauses since the previous sample, printed with each
 *   sample as `[memory-probe] gc {...}` (count and milliseconds by kind, the longest ones).
 *
 * tsx runs the program in a child process of its launcher, and both load this file: only the
 * process that runs src/main.ts answers (the launcher does not forward SIGUSR2 anyway).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import process from 'node:process';
import { writeHeapSnapshot } from 'node:v8';
import { watchGcPauses } from './gc-pauses.mjs';

if (/src[\\/]main\.ts$/.test(process.argv[1] ?? '')) {
  const snapshots = process.env.MEMORY_PROBE_HEAP_SNAPSHOTS;
  const profiles = process.env.MEMORY_PROBE_CPU_PROFILE;
  const survivors = process.env.MEMORY_PROBE_SURVIVORS;
  let heapSession = null;
  let samples = 0;
  let session = null;
  let pauses = [];
  if (process.env.MEMORY_PROBE_GC) watchGcPauses((kind, ms) => pauses.push({ kind, ms }));
  process.stdout.write(`[memory-probe] ready ${process.pid}\n`);
  process.on('SIGUSR2', async () => {
    samples++;
    if (profiles && samples === 3 && session) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(path.join(profiles, `api-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
      session = null;
    }
    if (survivors && samples === 3 && heapSession) {
      const { profile } = await heapSession.post('HeapProfiler.stopSampling');
      fs.writeFileSync(path.join(survivors, `api-${process.pid}-${Date.now()}.heapprofile`), JSON.stringify(profile));
      heapSession.disconnect();
      heapSession = null;
    }
    if (process.env.MEMORY_PROBE_GC) {
      const byKind = {};
      for (const pause of pauses) {
        const kind = (byKind[pause.kind] ??= { count: 0, ms: 0 });
        kind.count++;
        kind.ms = Math.round((kind.ms + pause.ms) * 10) / 10;
      }
      const longest = pauses.map((pause) => `${pause.kind} ${pause.ms.toFixed(1)}`).sort((a, b) => Number(b.split(' ')[1]) - Number(a.split(' ')[1])).slice(0, 8);
      process.stdout.write(`[memory-probe] gc ${JSON.stringify({ byKind, longest })}\n`);
      pauses = [];
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
    if (survivors && samples === 2) {
      heapSession = new Session();
      heapSession.connect();
      await heapSession.post('HeapProfiler.enable');
      await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    }
    process.stdout.write(`[memory-probe] ${JSON.stringify({ pid: process.pid, ...usage })}\n`);
  });
}
