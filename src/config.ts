import { parseConfig, type Config } from './settings.js';

/**
 * The configuration of this process, read once from the environment when first imported.
 * `main.ts` resolves the database (starting the embedded PostgreSQL when none is configured)
 * before anything imports this module.
 */
export const config: Config = parseConfig();
