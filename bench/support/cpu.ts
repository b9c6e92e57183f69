import fs from 'node:fs/promises';

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) of a process and its direct children (Linux /proc): the live
 * children's own times, and what the children that already exited used (the parent's cutime and
 * cstime), so a PostgreSQL backend that ended during the measure still counts.
 */
export async function cpuSecondsOfTree(parent: number): Promise<number> {
  let ticks = 0;
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === parent) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    else if (Number(fields[1]) === parent) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

export async function parentOf(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** CPU seconds of several process trees, measured together: `stop()` gives each one's share since `start`. */
export async function cpuMeter<Name extends string>(trees: Record<Name, number>): Promise<{ stop(): Promise<Record<Name, number>> }> {
  const names = Object.keys(trees) as Name[];
  const before = await Promise.all(names.map((name) => cpuSecondsOfTree(trees[name])));
  return {
    async stop() {
      const after = await Promise.all(names.map((name) => cpuSecondsOfTree(trees[name])));
      return Object.fromEntries(names.map((name, index) => [name, after[index]! - before[index]!])) as Record<Name, number>;
    },
  };
}
