import { defineConfig } from 'prisma/config';

// The URL is only read by Prisma's own CLI commands; the platform applies migrations itself
// (src/db/migrate.ts) through the WebAssembly schema engine, so `prisma generate` needs none.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' },
});
