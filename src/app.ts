import { config } from './config.js';
import { closeDatabase } from './db/client.js';
import { startEventListener, stopEventBus } from './events/bus.js';
import { simulatorCarrier } from './gateways/carriers/carrier-settings.js';
import { startSmppCarrierGateway, type SmppCarrierGateway } from './gateways/carriers/smpp-carrier.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { startJobs, stopJobs } from './jobs/boss.js';
import { applyCarrierEvents } from './jobs/carrier-events.js';
import { Dispatcher } from './jobs/dispatcher.js';
import { CampaignLifecycle } from './jobs/campaign-lifecycle.js';
import { startCarrierSimulator, type CarrierSimulator } from './simulator/carrier-simulator.js';

export interface Platform {
  /** Base URL of the API, when this process serves it. */
  url: string | null;
  /** The built-in carrier simulator, when this process started it. */
  simulator: CarrierSimulator | null;
  stop(): Promise<void>;
}

/**
 * Starts what this process' role asks for. API processes serve HTTP and WebSocket; worker
 * processes run job handlers and the dispatcher with its carrier connections; every process
 * listens for live events (workers for dispatch wake-ups) and can publish them and enqueue jobs.
 * A single-process platform (`ROLE=all`, the default) also starts the built-in carrier simulator,
 * so that `npm start` sends over real SMPP. The database must be migrated already (main.ts).
 */
export async function startPlatform(): Promise<Platform> {
  await startEventListener();
  await startJobs();

  let simulator: CarrierSimulator | null = null;
  let gateway: SmppCarrierGateway | null = null;
  let dispatcher: Dispatcher | null = null;
  let campaigns: CampaignLifecycle | null = null;
  if (config.runsWorkers) {
    const settings = config.carriers.simulator;
    let connections = config.carriers.connections;
    if (settings.enabled && config.role === 'all') {
      simulator = await startCarrierSimulator({
        host: settings.host,
        port: settings.port,
        receiptDelayMs: settings.receiptDelayMs,
        outcomeMix: settings.outcomeMix,
        maxSubmitsPerSecond: settings.maxSubmitsPerSecond,
      });
      // The simulator may have taken a free port (CARRIER_SIMULATOR_PORT=0, as in the tests).
      if (!config.carriers.configured) connections = [simulatorCarrier(simulator.host, simulator.port)];
    }
    gateway = startSmppCarrierGateway(connections);
    gateway.setEventHandler(applyCarrierEvents);
    dispatcher = new Dispatcher(gateway);
    dispatcher.start();
    campaigns = new CampaignLifecycle(config.campaigns.lifecycleIntervalMs, config.campaigns.progressIntervalMs);
    campaigns.start();
  }

  let http: HttpServer | null = null;
  if (config.runsApi) http = await startHttpServer();
  return {
    url: http?.url ?? null,
    simulator,
    // Order matters: stop taking work, let in-flight work finish, then close what it used.
    async stop() {
      await http?.close();
      await campaigns?.stop();
      await dispatcher?.stop();
      await gateway?.stop();
      await simulator?.stop();
      await stopJobs();
      await stopEventBus();
      await closeDatabase();
    },
  };
}
