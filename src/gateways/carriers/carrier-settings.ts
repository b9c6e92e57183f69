/**
 * The `CARRIERS` setting: carrier connections and their routes, as a JSON array. Every default
 * of a connection is here; `src/settings.ts` reads the variable with this schema, and without it
 * points one connection at the built-in simulator (`simulatorCarrier`).
 *
 *   [{ "name": "orange", "host": "smpp.example.net", "port": 2775, "systemId": "acme",
 *      "password": "secret", "binds": 2, "windowSize": 50, "maxSegmentsPerSecond": 100,
 *      "routes": [{ "country": "FR", "priority": 1 }, { "prefix": "+", "priority": 9 }] }]
 *
 * A message goes to the connections whose routes match its destination, lowest `priority` number
 * first; connections of the same priority share the traffic (least outstanding first); when
 * every connection of a priority is down, the next priority takes over (failover).
 */
import { z } from 'zod';

const routeSchema = z
  .object({
    /** E.164 prefix, `+` alone matches every number. */
    prefix: z.string().regex(/^\+\d*$/, 'a + followed by digits, e.g. "+33" or "+" for every number').optional(),
    /** ISO 3166-1 alpha-2 country of the destination number. */
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 code in capitals, e.g. "FR"').optional(),
    /** Lower is preferred. */
    priority: z.number().int().min(0).default(1),
  })
  .strict()
  .refine((route) => (route.prefix === undefined) !== (route.country === undefined), 'a route has either a prefix or a country, not both');

export const carrierConnectionSchema = z
  .object({
    name: z.string().regex(/^[\w.-]{1,40}$/, 'letters, digits, "_", "-" or "." (1-40)'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65535).default(2775),
    /** SMPP 3.4 limits: system_id 15 characters, password 8, system_type 12. */
    systemId: z.string().min(1).max(15),
    password: z.string().max(8).default(''),
    systemType: z.string().max(12).default(''),
    /** Transceiver binds (TCP sessions) opened to this carrier; traffic goes to the least busy. */
    binds: z.number().int().min(1).max(32).default(1),
    /** Outstanding submit_sm per bind (sent, not yet answered). */
    windowSize: z.number().int().min(1).max(1000).default(50),
    /** Throughput cap of each bind, in segments (SMS parts) per second. */
    maxSegmentsPerSecond: z.number().positive().default(100),
    /** Share of each bind's window and rate that bulk traffic leaves free for transactional messages. */
    transactionalShare: z.number().min(0).max(0.9).default(0.2),
    enquireLinkSeconds: z.number().positive().default(30),
    /** A bind, submit or enquire_link unanswered this long means a dead link: the bind reconnects. */
    responseTimeoutSeconds: z.number().positive().default(10),
    /** Reconnection back-off: doubles from the initial delay up to the maximum, with jitter. */
    reconnectInitialDelayMs: z.number().int().min(1).default(500),
    reconnectMaxDelayMs: z.number().int().min(1).default(30_000),
    /** After a throttling answer the bind pauses this long, at half its rate. */
    throttlePauseMs: z.number().int().min(0).default(250),
    /** After this long without throttling answers, a slowed-down bind doubles its rate back. */
    throttleRecoveryMs: z.number().int().min(1).default(5_000),
    /** Throttling answers in a row for the same part before the message fails as THROTTLED / QUEUE_FULL. */
    maxThrottleRetries: z.number().int().min(0).default(50),
    /**
     * Temporary errors in a row (ESME_RSYSERR, ESME_RSUBMITFAIL...: bound, but not taking
     * messages) after which the connection counts as failing: the router prefers any healthy
     * connection of any priority over it, for `failingForSeconds` after its latest error (then it
     * is tried again); with none healthy it is still used.
     */
    failingAfterErrors: z.number().int().min(1).default(20),
    failingForSeconds: z.number().int().min(1).default(30),
    routes: z.array(routeSchema).min(1).default([{ prefix: '+', priority: 1 }]),
    /**
     * The carrier returns the platform's message reference (the vendor TLV 0x1400 sent with every
     * submit_sm) in its delivery receipts, as the built-in simulator does. A single-part message
     * is then matched to its receipt by that reference and the carrier id kept on the message
     * row, without a carrier_part row: one insert less per message. Without it (the default),
     * receipts are matched by carrier id through carrier_part.
     */
    receiptsCarryReference: z.boolean().default(false),
  })
  .strict();

export type CarrierConnectionSettings = z.output<typeof carrierConnectionSchema>;
export type CarrierRouteSettings = z.output<typeof routeSchema>;

export const carrierConnectionsSchema = z
  .array(carrierConnectionSchema)
  .min(1, 'at least one carrier connection')
  .superRefine((connections, ctx) => {
    const seen = new Set<string>();
    connections.forEach((connection, i) => {
      if (seen.has(connection.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate connection name "${connection.name}"` });
      seen.add(connection.name);
    });
  });

/** The environment variable: a JSON text validated with the schema above, problems reported with their path. */
export const carriersVariableSchema = z.string().transform((text, ctx): CarrierConnectionSettings[] => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not valid JSON (${(error as Error).message})` });
    return z.NEVER;
  }
  const parsed = carrierConnectionsSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
    return z.NEVER;
  }
  return parsed.data;
});

/**
 * The connection used when CARRIERS is not set: the built-in simulator on loopback, every
 * destination. Its rate is high because the simulator is local; a real carrier's contract is
 * usually tens to a few hundreds of segments per second per bind.
 */
export function simulatorCarrier(host: string, port: number): CarrierConnectionSettings {
  return carrierConnectionSchema.parse({
    name: 'simulator',
    host,
    port,
    systemId: 'platform',
    password: 'secret',
    binds: 2,
    // On loopback the link is latency-bound: throughput is about window / round trip, so the
    // simulator gets a wider window than a real carrier would grant.
    windowSize: 250,
    maxSegmentsPerSecond: 10_000,
    routes: [{ prefix: '+', priority: 1 }],
    receiptsCarryReference: true,
  });
}
