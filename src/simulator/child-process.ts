/**
 * Runs the carrier simulator as a separate OS process (`src/simulator/main.ts`, what `npm run
 * simulator` runs) and talks to it through its HTTP control. For benchmarks and tests that need
 * the simulator out of their own process (so that its CPU is not theirs, or so that it outlives
 * a process they kill).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CarrierSimulatorStats } from './carrier-simulator.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface SimulatorProcess {
  host: string;
  port: number;
  controlUrl: string;
  /** Of the launcher (tsx); the simulator runs in its child process. */
  pid: number;
  stats(): Promise<CarrierSimulatorStats>;
  submissionsTo(destination: string): Promise<number>;
  reset(): Promise<void>;
  injectInbound(from: string, to: string, text: string, partOrder?: 'reverse' | number[]): Promise<void>;
  dropConnections(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `env` takes CARRIER_SIMULATOR_* settings (receipt delay, outcomes, throttling); ports are chosen here. */
export async function spawnCarrierSimulator(env: Record<string, string> = {}, timeoutMs = 30_000): Promise<SimulatorProcess> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const controlPort = await freePort(host);
  const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, ['src/simulator/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      ...env,
      CARRIER_SIMULATOR_HOST: host,
      CARRIER_SIMULATOR_PORT: String(port),
      CARRIER_SIMULATOR_CONTROL_PORT: String(controlPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('control:')) {
    if (child.exitCode !== null) throw new Error(`carrier simulator exited early:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`carrier simulator did not start in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const controlUrl = `http://${host}:${controlPort}`;
  const call = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${controlUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator control ${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    host,
    port,
    controlUrl,
    pid: child.pid ?? 0,
    stats: () => call<CarrierSimulatorStats>('GET', '/stats'),
    submissionsTo: async (destination) => (await call<{ messages: number }>('GET', `/submissions?to=${encodeURIComponent(destination)}`)).messages,
    reset: async () => void (await call('POST', '/reset')),
    injectInbound: async (from, to, text, partOrder) => void (await call('POST', '/inbound', { from, to, text, partOrder })),
    dropConnections: async () => void (await call('POST', '/drop-connections')),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
