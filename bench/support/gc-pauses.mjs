/** Garbage-collection pauses of this process, as the benches' probes report them. */
import { constants, PerformanceObserver } from 'node:perf_hooks';

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MINOR_MARK_SWEEP]: 'minor-mark-sweep',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Calls `onPause(kind, milliseconds)` for every collection pause from now on. */
export function watchGcPauses(onPause) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) onPause(KINDS[entry.detail?.kind] ?? String(entry.detail?.kind), entry.duration);
  }).observe({ entryTypes: ['gc'] });
}
