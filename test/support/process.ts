import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface PlatformProcess {
  child: ChildProcess;
  /** Base URL printed by the process (API roles only). */
  url: string | null;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  terminate(): Promise<number | null>;
}

/**
 * Starts `src/main.ts` as a separate OS process (what `npm start` runs), on the given database,
 * and waits until it reports that it started.
 */
export async function startPlatformProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<PlatformProcess> {
  const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, ['src/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: path.join(projectRoot, '.data', 'test-shared'),
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    // Each test platform runs its own carrier simulator on a free port.
    CARRIER_SIMULATOR_PORT: '0',
    CARRIER_SIMULATOR_CONTROL_PORT: '0',
    CARRIER_SIMULATOR_RECEIPT_DELAY_MS: '50',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Platform started')) {
    if (child.exitCode !== null) throw new Error(`platform process exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`platform process did not start in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /GraphQL over HTTP:\s+(\S+)\/graphql/.exec(output)?.[1] ?? null;
  return {
    child,
    url,
    output: () => output,
    async terminate() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
