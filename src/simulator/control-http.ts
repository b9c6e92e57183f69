/**
 * HTTP control of a carrier simulator, for a simulator running in its own process (`npm run
 * simulator`) or next to the platform: read its counters, inject inbound replies and receipts.
 * Loopback only by default; plain JSON.
 *
 *   GET  /stats                         counters (CarrierSimulatorStats)
 *   GET  /submissions?to=+33612345678   { to, messages, firstAt } accepted messages to that number, when the first was (epoch ms)
 *   GET  /messages?limit=100            the most recent reassembled submissions
 *   POST /inbound  { from, to, text, partOrder?, reference? }  an inbound SMS (partOrder: "reverse" or [2,1,3];
 *                                       reference 0-255: send a long reply's parts in several calls)
 *   POST /receipt  { carrierMessageId, stat, recipient?, doneAt? }  a receipt for any id
 *   POST /drop-connections              cuts every SMPP session (clients reconnect)
 *   POST /reset                         forgets counters and kept messages
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { RECEIPT_STAT, type ReceiptStat } from '../gateways/carriers/delivery-receipt.js';
import type { CarrierSimulator } from './carrier-simulator.js';

const inboundBody = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  text: z.string(),
  partOrder: z.union([z.literal('in-order'), z.literal('reverse'), z.array(z.number().int().min(1))]).optional(),
  reference: z.number().int().min(0).max(255).optional(),
});

const receiptBody = z.object({
  carrierMessageId: z.string().min(1),
  stat: z.enum(Object.keys(RECEIPT_STAT) as [ReceiptStat, ...ReceiptStat[]]),
  recipient: z.string().optional(),
  /** An ISO 8601 date (not null, not a number: coerced, those would be 1970). */
  doneAt: z.string().pipe(z.coerce.date()).optional(),
});

const MAX_BODY_BYTES = 64 * 1024;

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function handle(simulator: CarrierSimulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://simulator');
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'GET /stats':
      return reply(response, 200, simulator.stats());
    case 'GET /submissions': {
      const to = url.searchParams.get('to');
      if (!to) return reply(response, 400, { error: 'the "to" query parameter is required, e.g. ?to=%2B33612345678' });
      return reply(response, 200, { to, messages: simulator.submissionsTo(to), firstAt: simulator.firstSubmissionAt(to) });
    }
    case 'GET /messages': {
      const limit = Math.max(1, Math.min(10_000, Number(url.searchParams.get('limit') ?? 100) || 100));
      return reply(response, 200, simulator.messages().slice(-limit));
    }
    case 'POST /inbound': {
      const body = inboundBody.safeParse(await readJson(request));
      if (!body.success) return reply(response, 400, { error: 'expected { from, to, text, partOrder?, reference? }', problems: body.error.issues });
      const { from, to, text, partOrder, reference } = body.data;
      // Answered once queued: the parts go out when a client is bound.
      simulator.injectInbound(from, to, text, { partOrder, reference }).catch(() => {});
      return reply(response, 202, { queued: true });
    }
    case 'POST /receipt': {
      const body = receiptBody.safeParse(await readJson(request));
      if (!body.success) return reply(response, 400, { error: 'expected { carrierMessageId, stat, recipient?, doneAt? }', problems: body.error.issues });
      void simulator.injectReceipt(body.data);
      return reply(response, 202, { queued: true });
    }
    case 'POST /drop-connections':
      simulator.dropConnections();
      return reply(response, 200, { dropped: true });
    case 'POST /reset':
      simulator.reset();
      return reply(response, 200, { reset: true });
    default:
      return reply(response, 404, { error: `no route ${route}` });
  }
}

export async function startSimulatorControl(simulator: CarrierSimulator, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    handle(simulator, request, response).catch((error: unknown) => reply(response, 400, { error: (error as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return { server, url: `http://${host}:${actualPort}` };
}
