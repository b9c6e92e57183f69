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
import { InboundPartsSweep } from './jobs/inbound-sweep.js';
import { settleDueNow } from './jobs/settlements.js';
import type { CarrierSimulator } from './simulator/carrier-simulator.js';
import { startConfiguredSimulator, type RunningSimulator } from './simulator/configured-simulator.js';

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

  let simulator: RunningSimulator | null = null;
  let gateway: SmppCarrierGateway | null = null;
  let dispatcher: Dispatcher | null = null;
  let campaigns: CampaignLifecycle | null = null;
  let inboundParts: InboundPartsSweep | null = null;
  if (config.runsWorkers) {
    const settings = config.carriers.simulator;
    let connections = config.carriers.connections;
    if (settings.enabled && config.role === 'all') {
      // With its HTTP control (CARRIER_SIMULATOR_CONTROL_PORT, 0 for none): a developer injects
      // replies and reads what the "phones" received there.
      simulator = await startConfiguredSimulator(settings);
      if (simulator.controlUrl) console.info(`Carrier simulator:      smpp://${simulator.simulator.host}:${simulator.simulator.port}, control ${simulator.controlUrl}`);
      // The simulator may have taken a free port (CARRIER_SIMULATOR_PORT=0, as in the tests).
      if (!config.carriers.configured) connections = [simulatorCarrier(simulator.simulator.host, simulator.simulator.port)];
    }
    gateway = startSmppCarrierGateway(connections);
    gateway.setEventHandler(applyCarrierEvents);
    dispatcher = new Dispatcher(gateway);
    dispatcher.start();
    campaigns = new CampaignLifecycle(config.campaigns.lifecycleIntervalMs, config.campaigns.progressIntervalMs);
    campaigns.start();
    inboundParts = new InboundPartsSweep(config.twoWay.partsTimeoutSeconds);
    inboundParts.start();
  }

  let http: HttpServer | null = null;
  if (config.runsApi) http = await startHttpServer();
  return {
    url: http?.url ?? null,
    simulator: simulator?.simulator ?? null,
    // Order matters: stop taking work, let in-flight work finish, then close what it used.
    async stop() {
      await http?.close();
      await campaigns?.stop();
      await dispatcher?.stop();
      await gateway?.stop();
      await inboundParts?.stop();
      await simulator?.stop();
      await stopJobs();
      // Charges queued by the last records and receipts, settled before the database closes.
      await settleDueNow();
      await stopEventBus();
      await closeDatabase();
    },
  };
}
