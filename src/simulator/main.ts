/**
 * `npm run simulator`: the carrier simulator alone, in its own process, configured by the same
 * CARRIER_SIMULATOR_* settings as the one the platform starts (see README "Carriers"). The
 * platform reaches it through CARRIERS (whose default already points at it).
 */
import { parseConfig } from '../settings.js';
import { startConfiguredSimulator } from './configured-simulator.js';
import { NUMBER_PATTERNS } from './outcomes.js';

async function main(): Promise<void> {
  const { simulator: settings } = parseConfig().carriers;
  const running = await startConfiguredSimulator(settings);
  const { host, port } = running.simulator;
  console.info(`[carrier-simulator] SMPP on ${host}:${port} (any system_id/password), receipts after ${settings.receiptDelayMs} ms`);
  console.info(`[carrier-simulator] test numbers end in ${NUMBER_PATTERNS.map((pattern) => pattern.ending).join(', ')} (see src/simulator/outcomes.ts)`);
  if (running.controlUrl) console.info(`[carrier-simulator] control: ${running.controlUrl}/stats, POST ${running.controlUrl}/inbound {"from","to","text"}`);

  const shutdown = async () => {
    await running.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
