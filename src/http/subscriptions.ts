import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { maskError } from './errors.js';

/**
 * Subscriptions over WebSocket, run with one small iterator per subscription.
 *
 * Parsing, validation (armor limits included), persisted operations and the context still go
 * through Yoga's envelope (server.ts, `onSubscribe`). Only running the subscription skips
 * envelop's `subscribe`: that wraps the event stream in four layers of async iterators (the
 * executor's map and flatten, the error hooks, the masking) which, for an idle subscription, hold
 * some 7 kB of closures and promises, and cost a round of promises per layer for every event.
 * An agent keeps a connection with two subscriptions open all day: at 10,000 agents per API
 * process those layers were most of its memory. Here each event of the source stream (the
 * field's `subscribe`) is executed with graphql-js's `execute`, with the event as root value
 * (the spec's MapSourceToResponseEvent, which is what graphql-js's own `subscribe` does), and its
 * errors are masked exactly as over HTTP (`maskError`, the function Yoga's masking uses).
 *
 * Consequence: envelop plugins' execute and subscribe hooks do not see WebSocket subscription
 * events (none is installed that needs to: masking is the one done here).
 */
export async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(withFreshContext(args));
  if (!(Symbol.asyncIterator in source)) return masked(source as ExecutionResult);
  return new SubscriptionResults(source as AsyncIterableIterator<unknown>, args);
}

/**
 * Each event executes with a copy of the subscription's context: what plugins and loaders cache
 * per context (Pothos' auth-scope results, data loaders) lives for one event, so an event never
 * sees data cached for an earlier one, and an idle subscription holds none of it.
 */
function withFreshContext(args: ExecutionArgs, rootValue?: unknown): ExecutionArgs {
  return { ...args, rootValue, contextValue: { ...(args.contextValue as object) } };
}

const UNEXPECTED = 'Unexpected error.';

/** Masked as over HTTP, less what only HTTP uses (a status and headers, DATABASE_BUSY's). */
function maskForSocket(error: unknown): GraphQLError {
  const masked = maskError(error, UNEXPECTED) as GraphQLError;
  if (masked.extensions?.['http'] === undefined) return masked;
  const { http: _http, ...extensions } = masked.extensions;
  return createGraphQLError(masked.message, { nodes: masked.nodes ?? null, path: masked.path, extensions });
}

function masked(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map(maskForSocket) };
}

class SubscriptionResults implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterableIterator<unknown>,
    private readonly args: ExecutionArgs,
  ) {}

  // Not an async method: while it waits for an event, an idle subscription holds a promise, not a suspended frame.
  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.source.next().then(
      async (event): Promise<IteratorResult<ExecutionResult>> =>
        event.done ? { value: undefined, done: true } : { value: masked(await execute(withFreshContext(this.args, event.value))), done: false },
      (error: unknown) => {
        // The stream failed (e.g. the subscriber fell too far behind): the client gets an `error` message.
        throw maskForSocket(error);
      },
    );
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}
