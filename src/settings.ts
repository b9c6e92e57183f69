import path from 'node:path';
import { z } from 'zod';
import { validateSender } from './domain/messaging/sender-id.js';
import { parseSharedShortCodes } from './domain/numbers/short-codes.js';
import { carriersVariableSchema, simulatorCarrier } from './gateways/carriers/carrier-settings.js';
import { parseOutcomeMix } from './simulator/outcomes.js';

/**
 * Every setting of the platform, with its default, read once from the environment at start-up
 * and validated. The README's configuration table mirrors this file.
 */
const duration = z.coerce.number().int().positive();
const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');
const outcomeMixVariable = z.string().transform((text, ctx) => {
  try {
    return parseOutcomeMix(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** The platform's own sender id must be one carriers accept: alphanumeric, 3-11 characters. */
const serviceSenderVariable = z.string().superRefine((value, ctx) => {
  const checked = validateSender(value, { shortCodes: [], virtualNumbers: [] });
  if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem.message });
  else if (checked.sender.kind !== 'ALPHANUMERIC') ctx.addIssue({ code: 'custom', message: 'must be an alphanumeric sender id (3-11 letters, digits, spaces)' });
});

/** Two-way (issue 7): `FR:36111,FR:38100` (see src/domain/numbers/short-codes.ts). */
const shortCodesVariable = z.string().transform((text, ctx) => {
  try {
    return parseSharedShortCodes(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

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
  /** How long a statement waits for one of the pool's connections (or for a new one to open)
   *  before failing: a request then gets DATABASE_BUSY instead of hanging. */
  DATABASE_POOL_TIMEOUT_SECONDS: duration.default(10),
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
  /** Confirmation codes sent to one mobile number per hour, sign-ups and resends together (SMS pumping). */
  MOBILE_CODES_PER_NUMBER_PER_HOUR: z.coerce.number().int().min(1).default(5),
  /** Unconfirmed sign-ups are deleted after this long, freeing their e-mail address. */
  UNCONFIRMED_SIGNUP_TTL_SECONDS: duration.default(48 * 3600),
  /** Extra free web-mail domains refused at sign-up, comma-separated (added to the built-in list). */
  FREE_EMAIL_DOMAINS: z.string().default(''),
  /** API keys record their last use at most this often, to keep reads read-only. */
  API_KEY_LAST_USED_RESOLUTION_SECONDS: duration.default(60),

  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(12),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(20000),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(15),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(1).default(2000),
  MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).default(1_000_000),
  /** Largest multipart (file upload) request, e.g. a contact CSV of a million rows (~50 MB). */
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(200_000_000),
  /** GraphiQL is served in development only, whatever this says in production. */
  GRAPHIQL: flag.optional(),
  /** WebSocket keep-alive: each connection is pinged this often and dropped if it has not answered
   *  the previous ping. Under the usual 60 s idle timeout of proxies and load balancers. */
  WEBSOCKET_KEEP_ALIVE_SECONDS: duration.default(30),

  /** Money (issue 4). VAT rate applied to top-up invoices, as a decimal fraction (0.20 = 20 %). */
  VAT_RATE: z.string().regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'a fraction between 0 and 1, up to 4 decimals, e.g. 0.20').default('0.20'),
  /** Largest single top-up, in euros (excluding VAT). */
  TOP_UP_MAXIMUM_EUROS: z.coerce.number().int().min(1).default(10_000),
  /** `simulator`: approves every amount except those whose cents are 13 (e.g. 50.13), which it declines. */
  PAYMENT_PROVIDER: z.enum(['simulator']).default('simulator'),
  /** Idempotency keys of money mutations are kept at least this long (SPEC section 3: 24 h minimum). */
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().int().min(24).default(24),
  /** Team invitations expire after this long. */
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).default(7 * 24),
  /** Largest support-ticket attachment, in bytes. */
  SUPPORT_ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  /** Contact exports (issue 5): a finished export can be downloaded for this long, then its file is deleted. */
  EXPORT_LINK_TTL_HOURS: z.coerce.number().int().min(1).default(24),
  /** Campaigns (issue 6): message rows written per materialisation transaction (each chunk commits with its resume point). */
  CAMPAIGN_CHUNK_SIZE: z.coerce.number().int().min(100).max(100_000).default(10_000),
  /** campaignProgress events per second and campaign, at most (counted by one GROUP BY per event). */
  CAMPAIGN_PROGRESS_EVENTS_PER_SECOND: z.coerce.number().min(0.1).max(20).default(2),
  /** How often workers move campaigns along their life cycle (scheduled -> sending -> completed). */
  CAMPAIGN_LIFECYCLE_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),

  /** Carriers (issue 6). JSON array of SMPP connections with their routes (see README "Carriers" and
   *  src/gateways/carriers/carrier-settings.ts for every field and default). Unset: one connection
   *  to the built-in simulator at CARRIER_SIMULATOR_HOST:CARRIER_SIMULATOR_PORT for every number. */
  CARRIERS: carriersVariableSchema.optional(),
  /** Start the built-in carrier simulator (an SMPP server) with the platform. */
  CARRIER_SIMULATOR: flag.default(true),
  CARRIER_SIMULATOR_HOST: z.string().default('127.0.0.1'),
  CARRIER_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(2775),
  /** HTTP control of the simulator (stats, inbound injection) on the same host; 0 turns it off. */
  CARRIER_SIMULATOR_CONTROL_PORT: z.coerce.number().int().min(0).max(65535).default(2776),
  CARRIER_SIMULATOR_RECEIPT_DELAY_MS: z.coerce.number().int().min(0).default(200),
  /** Receipt outcomes of numbers outside the test patterns, as weights: DELIVRD, UNDELIV, EXPIRED, NONE (no receipt). */
  CARRIER_SIMULATOR_OUTCOMES: outcomeMixVariable.prefault('DELIVRD=96,UNDELIV=3,EXPIRED=1'),
  /** submit_sm beyond this many per second are answered ESME_RTHROTTLED; unset: no limit. */
  CARRIER_SIMULATOR_MAX_SUBMITS_PER_SECOND: z.coerce.number().int().min(1).optional(),

  /** Sender id of the platform's own messages to users (confirmation codes, security alerts). */
  SERVICE_SENDER: serviceSenderVariable.default('SMSPLATFORM'),

  /** Two-way and conversations (issue 7). The platform's shared 5-digit short codes, per country. */
  SHORT_CODES: shortCodesVariable.prefault('FR:36111'),
  /** A reply to a shared short code goes to the account that last sent to that number through it
   *  within this many days; older or none: kept unrouted for operators. */
  SHORT_CODE_REPLY_ROUTING_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Open conversations an agent takes at once when added to the rotation without a capacity. */
  CONVERSATION_AGENT_CAPACITY: z.coerce.number().int().min(1).max(10_000).default(20),
  /** A reply in several parts whose parts have not all come this long after its first is stored
   *  with those that did, flagged incomplete. */
  INBOUND_PARTS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(86_400).default(60),

  /** Dispatch (issue 6; see README "Sending and carriers"). Bulk messages handed to the carrier
   *  gateway and not yet answered; unset: twice the submit windows of every connection together. */
  DISPATCH_MAX_IN_FLIGHT: z.coerce.number().int().min(1).optional(),
  /** Transactional messages in flight, a budget of their own so that bulk never holds them back. */
  DISPATCH_TRANSACTIONAL_IN_FLIGHT: z.coerce.number().int().min(1).default(100),
  /** Most messages claimed by one statement. */
  DISPATCH_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Outcomes are recorded at least this often (and at once when DISPATCH_BATCH_SIZE are waiting). */
  DISPATCH_RECORD_FLUSH_MS: z.coerce.number().int().min(1).default(25),
  /** A claim holds its messages this long; a live dispatcher renews what it still holds. */
  DISPATCH_LEASE_SECONDS: duration.default(60),
  /** A message whose lease ran out without a recorded outcome is in doubt for this long (it may
   *  have reached the carrier): a receipt naming it proves it was sent; without one it is sent
   *  again after this delay. Keep it above the carriers' usual receipt delay. */
  DISPATCH_RECONCILE_SECONDS: duration.default(600),
  /** Temporary carrier errors before a message is NOT_ISSUED. A carrier that is down, a gateway
   *  that is stopping, ESME_RTHROTTLED, a closed sending window or a dead route consume no attempt. */
  DISPATCH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(10),
  /** With nothing to send, dispatchers look for due messages this often (new messages wake them at once). */
  DISPATCH_IDLE_POLL_MS: z.coerce.number().int().min(10).default(1000),

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
    databasePoolTimeoutMs: raw.DATABASE_POOL_TIMEOUT_SECONDS * 1000,
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
      mobileCodesPerNumberPerHour: raw.MOBILE_CODES_PER_NUMBER_PER_HOUR,
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
      maxUploadBytes: raw.MAX_UPLOAD_BYTES,
      keepAliveMs: raw.WEBSOCKET_KEEP_ALIVE_SECONDS * 1000,
      graphiql: !production && (raw.GRAPHIQL ?? true),
    },
    money: {
      vatRate: raw.VAT_RATE,
      topUpMaximumEuros: raw.TOP_UP_MAXIMUM_EUROS,
      paymentProvider: raw.PAYMENT_PROVIDER,
      idempotencyKeyTtlHours: raw.IDEMPOTENCY_KEY_TTL_HOURS,
    },
    team: { invitationTtlHours: raw.INVITATION_TTL_HOURS },
    exports: { linkTtlHours: raw.EXPORT_LINK_TTL_HOURS, directory: path.join(dataDir, 'exports') },
    campaigns: {
      chunkSize: raw.CAMPAIGN_CHUNK_SIZE,
      progressIntervalMs: Math.round(1000 / raw.CAMPAIGN_PROGRESS_EVENTS_PER_SECOND),
      lifecycleIntervalMs: raw.CAMPAIGN_LIFECYCLE_INTERVAL_MS,
    },
    support: { attachmentMaxBytes: raw.SUPPORT_ATTACHMENT_MAX_BYTES, attachmentsDir: path.join(dataDir, 'support-attachments') },
    carriers: {
      // Port 0 (a free port, in tests): the connection is made once the simulator has one.
      connections: raw.CARRIERS ?? (raw.CARRIER_SIMULATOR_PORT > 0 ? [simulatorCarrier(raw.CARRIER_SIMULATOR_HOST, raw.CARRIER_SIMULATOR_PORT)] : []),
      /** False when the connections are the default one to the built-in simulator. */
      configured: raw.CARRIERS !== undefined,
      simulator: {
        enabled: raw.CARRIER_SIMULATOR,
        host: raw.CARRIER_SIMULATOR_HOST,
        port: raw.CARRIER_SIMULATOR_PORT,
        controlPort: raw.CARRIER_SIMULATOR_CONTROL_PORT,
        receiptDelayMs: raw.CARRIER_SIMULATOR_RECEIPT_DELAY_MS,
        outcomeMix: raw.CARRIER_SIMULATOR_OUTCOMES,
        maxSubmitsPerSecond: raw.CARRIER_SIMULATOR_MAX_SUBMITS_PER_SECOND ?? null,
      },
    },
    serviceMessages: { sender: raw.SERVICE_SENDER },
    twoWay: {
      sharedShortCodes: raw.SHORT_CODES,
      replyRoutingDays: raw.SHORT_CODE_REPLY_ROUTING_DAYS,
      defaultAgentCapacity: raw.CONVERSATION_AGENT_CAPACITY,
      partsTimeoutSeconds: raw.INBOUND_PARTS_TIMEOUT_SECONDS,
    },
    dispatch: {
      // With port 0 (tests) the simulator connection is made later, with the same windows.
      maxInFlight:
        raw.DISPATCH_MAX_IN_FLIGHT ??
        Math.max(100, 2 * (raw.CARRIERS ?? [simulatorCarrier(raw.CARRIER_SIMULATOR_HOST, 2775)]).reduce((sum, connection) => sum + connection.binds * connection.windowSize, 0)),
      transactionalInFlight: raw.DISPATCH_TRANSACTIONAL_IN_FLIGHT,
      batchSize: raw.DISPATCH_BATCH_SIZE,
      recordFlushMs: raw.DISPATCH_RECORD_FLUSH_MS,
      leaseSeconds: raw.DISPATCH_LEASE_SECONDS,
      reconcileSeconds: raw.DISPATCH_RECONCILE_SECONDS,
      maxAttempts: raw.DISPATCH_MAX_ATTEMPTS,
      idlePollMs: raw.DISPATCH_IDLE_POLL_MS,
    },
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    jobsSchema: raw.JOBS_SCHEMA,
  };
}
