/**
 * The simulator as the CARRIER_SIMULATOR_* settings describe it, with its HTTP control: what
 * `npm run simulator` runs, and what the platform starts in-process when CARRIER_SIMULATOR is on.
 */
import type { CarrierLogger } from '../gateways/carriers/logger.js';
import type { Config } from '../settings.js';
import { startCarrierSimulator, type CarrierSimulator } from './carrier-simulator.js';
import { startSimulatorControl } from './control-http.js';

export interface RunningSimulator {
  simulator: CarrierSimulator;
  /** Base URL of the HTTP control, null when CARRIER_SIMULATOR_CONTROL_PORT is 0. */
  controlUrl: string | null;
  stop(): Promise<void>;
}

export async function startConfiguredSimulator(settings: Config['carriers']['simulator'], logger?: CarrierLogger): Promise<RunningSimulator> {
  const simulator = await startCarrierSimulator({
    host: settings.host,
    port: settings.port,
    receiptDelayMs: settings.receiptDelayMs,
    outcomeMix: settings.outcomeMix,
    maxSubmitsPerSecond: settings.maxSubmitsPerSecond,
    logger,
  });
  try {
    const control = settings.controlPort > 0 ? await startSimulatorControl(simulator, settings.host, settings.controlPort) : null;
    return {
      simulator,
      controlUrl: control?.url ?? null,
      async stop() {
        await new Promise<void>((resolve) => (control ? control.server.close(() => resolve()) : resolve()));
        await simulator.stop();
      },
    };
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}
