import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';
import { buildPersistedOperations } from './persisted-operations.js';

/** Writes the SDL that partners and front ends code against, and the persisted-operation
 * allow-list for API keys. A test fails when either drifts. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('./schema.graphql', import.meta.url), printedSchema());
  writeFileSync(new URL('./persisted-operations.json', import.meta.url), `${JSON.stringify(buildPersistedOperations(), null, 2)}\n`);
  console.info('codegen/schema.graphql and codegen/persisted-operations.json written');
}
