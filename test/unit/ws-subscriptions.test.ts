import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '../../src/domain/errors.js';
import { subscribe } from '../../src/http/subscriptions.js';

/**
 * The WebSocket path runs subscriptions without envelop's layers (src/http/subscriptions.ts): each
 * event is executed on its own, errors masked as over HTTP. A schema whose subscription yields
 * events that resolve, fail with an error a user can act on, and fail unexpectedly.
 */
const contextsSeen: object[] = [];
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: new GraphQLObjectType({ name: 'Tick', fields: { n: { type: GraphQLInt }, label: { type: GraphQLString } } }),
        args: { from: { type: GraphQLInt } },
        subscribe: async function* (_root: unknown, args: { from: number }) {
          for (let n = args.from; n < args.from + 4; n++) yield n;
        },
        resolve: (root: unknown, _args: unknown, context: object) => {
          const n = root as number;
          contextsSeen.push(context);
          if (n % 4 === 2) throw new NotFoundError('Tick');
          if (n % 4 === 3) throw new Error('connect ECONNREFUSED 10.0.0.5:5432 password=secret');
          return { n, label: (context as { label: string }).label };
        },
      },
    },
  }),
});

describe('subscriptions over WebSocket', () => {
  it('executes every event with its variables and a context of its own, and masks errors as over HTTP', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const context = { label: 'agent' };
    const results = (await subscribe({
      schema,
      document: parse('subscription ($from: Int) { ticks(from: $from) { n label } }'),
      variableValues: { from: 1 },
      contextValue: context,
    })) as AsyncIterableIterator<ExecutionResult>;
    const received: ExecutionResult[] = [];
    for await (const result of results) received.push(JSON.parse(JSON.stringify(result)) as ExecutionResult);
    log.mockRestore();

    expect(received.map((result) => result.data?.['ticks'] ?? null)).toEqual([{ n: 1, label: 'agent' }, null, null, { n: 4, label: 'agent' }]);
    expect(received[1]?.errors).toEqual([{ message: 'Tick not found.', path: ['ticks'], locations: [{ line: 1, column: 29 }], extensions: { code: 'NOT_FOUND' } }]);
    expect(received[2]?.errors?.map((error) => error.message)).toEqual(['Unexpected error.']);
    expect(JSON.stringify(received)).not.toContain('secret');
    // A copy of the context per event: what a loader caches for one event is gone by the next.
    expect(new Set(contextsSeen).size).toBe(4);
    expect(contextsSeen).not.toContain(context);
  });

  it('answers with the errors when the subscription cannot start', async () => {
    const result = (await subscribe({ schema, document: parse('subscription { ticks(from: "x") { n } }') })) as ExecutionResult;
    expect(result.errors?.[0]?.message).toMatch(/"from" has invalid value/);
  });
});
