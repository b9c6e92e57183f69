import { config } from './config.js';
import { closeDatabase } from './db/client.js';
import { startEventListener, stopEventBus } from './events/bus.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { startJobs, stopJobs } from './jobs/boss.js';

export interface Platform {
  /** Base URL of the API, when this process serves it. */
  url: string | null;
  stop(): Promise<void>;
}

/**
 * Starts what this process' role asks for. API processes listen for live events and serve
 * HTTP and WebSocket; worker processes run job handlers; every process can enqueue jobs and
 * publish events. The database must be migrated already (main.ts does it).
 */
export async function startPlatform(): Promise<Platform> {
  await startJobs();
  let http: HttpServer | null = null;
  if (config.runsApi) {
    await startEventListener();
    http = await startHttpServer();
  }
  return {
    url: http?.url ?? null,
    // Order matters: stop taking work, let in-flight work finish, then close what it used.
    async stop() {
      await http?.close();
      await stopJobs();
      await stopEventBus();
      await closeDatabase();
    },
  };
}
