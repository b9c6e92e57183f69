import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting of the platform, with its default, read once from the environment at start-up
 * and validated. The README's configuration table mirrors this file.
 */
const duration = z.coerce.number().int().positive();
const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** `api` serves GraphQL, `worker` runs jobs, `all` does both in one process. */
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Public base URL, used in printed URLs and links. */
  PUBLIC_URL: z.string().url().optional(),
  /** Without it, an embedded PostgreSQL is started with its data under DATA_DIR/postgres. */
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  /** Apply pending migrations at start-up (under an advisory lock, safe with several processes). */
  MIGRATE_ON_START: flag.default(true),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),

  /** JSON array of private JWKs (Ed25519 `OKP` or ES256 `EC`), each with a `kid`; the first signs,
   *  all verify, so keys rotate by prepending a new one. Required in production; generated and
   *  kept under DATA_DIR in development and tests. */
  JWT_PRIVATE_KEYS: z.string().optional(),
  JWT_ISSUER: z.string().default('sms-platform'),
  JWT_AUDIENCE: z.string().default('sms-platform-api'),
  ACCESS_TOKEN_TTL_SECONDS: duration.default(900),
  REFRESH_TOKEN_TTL_SECONDS: duration.default(30 * 24 * 3600),
  /** Secret for keyed hashes of confirmation codes. Required in production. */
  CODE_HASH_SECRET: z.string().min(32).optional(),
  MOBILE_CODE_TTL_SECONDS: duration.default(600),
  MOBILE_CODE_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  /** Unconfirmed sign-ups are deleted after this long, freeing their e-mail address. */
  UNCONFIRMED_SIGNUP_TTL_SECONDS: duration.default(48 * 3600),
  /** Extra free web-mail domains refused at sign-up, comma-separated (added to the built-in list). */
  FREE_EMAIL_DOMAINS: z.string().default(''),
  /** API keys record their last use at most this often, to keep reads read-only. */
  API_KEY_LAST_USED_RESOLUTION_SECONDS: duration.default(60),

  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(5000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(15),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(1).default(2000),
  MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).default(1_000_000),
  /** GraphiQL is served in development only, whatever this says in production. */
  GRAPHIQL: flag.optional(),

  SHUTDOWN_TIMEOUT_SECONDS: duration.default(20),
  JOBS_SCHEMA: z.string().default('pgboss'),
});

export type Config = ReturnType<typeof parseConfig>;

export function parseConfig(env: NodeJS.ProcessEnv = process.env) {
  // An empty variable (`DATABASE_URL=`) means "not set", as in most twelve-factor tools.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';
  if (production && !raw.JWT_PRIVATE_KEYS) throw new Error('Invalid configuration:\n  JWT_PRIVATE_KEYS: required in production');
  if (production && !raw.CODE_HASH_SECRET) throw new Error('Invalid configuration:\n  CODE_HASH_SECRET: required in production');
  const dataDir = path.resolve(raw.DATA_DIR);
  return {
    env: raw.NODE_ENV,
    production,
    role: raw.ROLE,
    runsApi: raw.ROLE !== 'worker',
    runsWorkers: raw.ROLE !== 'api',
    host: raw.HOST,
    port: raw.PORT,
    publicUrl: raw.PUBLIC_URL,
    databaseUrl: raw.DATABASE_URL,
    databasePoolSize: raw.DATABASE_POOL_SIZE,
    dataDir,
    embeddedPostgresPort: raw.EMBEDDED_POSTGRES_PORT,
    migrateOnStart: raw.MIGRATE_ON_START,
    logLevel: raw.LOG_LEVEL,
    auth: {
      privateKeys: raw.JWT_PRIVATE_KEYS,
      keyFile: path.join(dataDir, 'jwt-keys.json'),
      issuer: raw.JWT_ISSUER,
      audience: raw.JWT_AUDIENCE,
      accessTokenTtlSeconds: raw.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: raw.REFRESH_TOKEN_TTL_SECONDS,
      codeHashSecret: raw.CODE_HASH_SECRET,
      codeSecretFile: path.join(dataDir, 'code-hash-secret'),
      mobileCodeTtlSeconds: raw.MOBILE_CODE_TTL_SECONDS,
      mobileCodeMaxAttempts: raw.MOBILE_CODE_MAX_ATTEMPTS,
      unconfirmedSignUpTtlSeconds: raw.UNCONFIRMED_SIGNUP_TTL_SECONDS,
      extraFreeEmailDomains: raw.FREE_EMAIL_DOMAINS.split(',')
        .map((domain) => domain.trim().toLowerCase())
        .filter(Boolean),
      apiKeyLastUsedResolutionSeconds: raw.API_KEY_LAST_USED_RESOLUTION_SECONDS,
    },
    graphql: {
      maxDepth: raw.GRAPHQL_MAX_DEPTH,
      maxCost: raw.GRAPHQL_MAX_COST,
      maxAliases: raw.GRAPHQL_MAX_ALIASES,
      maxTokens: raw.GRAPHQL_MAX_TOKENS,
      maxRequestBytes: raw.MAX_REQUEST_BYTES,
      graphiql: !production && (raw.GRAPHIQL ?? true),
    },
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    jobsSchema: raw.JOBS_SCHEMA,
  };
}
