// Runs `prisma generate` offline. Prisma's CLI insists on locating its native schema engine
// even though generation does not use it, and that binary cannot be downloaded here, so we
// point it at any existing file (see DEVELOPERS.md); migrations use the WebAssembly engine.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const env = {
  ...process.env,
  // The Pothos types generator is a bin of @pothos/plugin-prisma; npm scripts add this folder
  // to PATH, a direct `node scripts/prisma-generate.mjs` does not.
  PATH: [path.resolve('node_modules/.bin'), process.env.PATH].join(path.delimiter),
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const result = spawnSync(process.execPath, [prismaCli, 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
