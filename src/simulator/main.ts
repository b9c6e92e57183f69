/**
 * `npm run simulator`: the carrier simulator alone, in its own process, configured by the same
 * CARRIER_SIMULATOR_* settings as the one the platform starts (see README "Carriers"). The
 * platform reaches it through CARRIERS (whose default already points at it).
 */
import { parseConfig } from '../settings.js';
import { startCarrierSimulator } from './carrier-simulator.js';
import { startSimulatorControl } from './control-http.js';
import { NUMBER_PATTERNS } from './outcomes.js';

async function main(): Promise<void> {
  const { simulator: settings } = parseConfig().carriers;
  const simulator = await startCarrierSimulator({
    host: settings.host,
    port: settings.port,
    receiptDelayMs: settings.receiptDelayMs,
    outcomeMix: settings.outcomeMix,
    maxSubmitsPerSecond: settings.maxSubmitsPerSecond,
  });
  console.info(`[carrier-simulator] SMPP on ${simulator.host}:${simulator.port} (any system_id/password), receipts after ${settings.receiptDelayMs} ms`);
  console.info(`[carrier-simulator] test numbers end in ${NUMBER_PATTERNS.map((pattern) => pattern.ending).join(', ')} (see src/simulator/outcomes.ts)`);
  const control = settings.controlPort > 0 ? await startSimulatorControl(simulator, settings.host, settings.controlPort) : null;
  if (control) console.info(`[carrier-simulator] control: ${control.url}/stats, POST ${control.url}/inbound {"from","to","text"}`);

  const shutdown = async () => {
    control?.server.close();
    await simulator.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
