import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, createLogger, createYoga, type YogaInitialContext, type YogaLogger } from 'graphql-yoga';
import { config } from '../config.js';
import { isPoolTimeout } from '../db/pool-timeout.js';
import type { Actor } from '../domain/auth/actor.js';
import { authenticate } from '../domain/auth/authenticate.js';
import { DomainError } from '../domain/errors.js';
import type { Context } from '../schema/context.js';
import { schema } from '../schema/index.js';
import { maskError } from './errors.js';
import { isApiKeyAuthorization, persistedNotFoundError, persistedOnlyError, persistedOperation } from './persisted-operations.js';

/** Set by the WebSocket server after it authenticated `connection_init`. */
interface SocketContext {
  socketActor?: Actor | null;
}

export const GRAPHQL_PATH = '/graphql';

/**
 * One authenticated context for HTTP (including SSE) and WebSocket: credentials are checked
 * once, when the context is built. Bad credentials fail the request; none leaves it anonymous
 * (public fields such as `logIn` work, guarded ones answer NOT_AUTHENTICATED).
 */
async function buildContext(initial: YogaInitialContext & SocketContext): Promise<Context> {
  if (initial.socketActor !== undefined) return { actor: initial.socketActor };
  return { actor: await authenticateRequest(initial.request.headers.get('authorization')) };
}

export async function authenticateRequest(authorization: string | null | undefined): Promise<Actor | null> {
  try {
    return await authenticate(authorization);
  } catch (error) {
    if (error instanceof DomainError) {
      throw createGraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
    }
    throw error;
  }
}

/**
 * Errors users can act on (bad token, missing right) are answers, not incidents: not logged; nor
 * is a busy database's stack trace on every request it refused (maskError logs one line each).
 */
function quietAboutDomainErrors(logger: YogaLogger): YogaLogger {
  const expected = (error: unknown) => error instanceof DomainError || isPoolTimeout(error);
  return {
    ...logger,
    error: (...args: unknown[]) => {
      if (args.some((arg) => expected(arg) || expected((arg as { originalError?: unknown } | null)?.originalError))) return;
      logger.error(...args);
    },
  };
}

export const yoga = createYoga<SocketContext, Context>({
  schema,
  graphqlEndpoint: GRAPHQL_PATH,
  context: buildContext,
  graphiql: config.graphql.graphiql ? { subscriptionsProtocol: 'WS' } : false,
  landingPage: false,
  logging: quietAboutDomainErrors(createLogger(config.logLevel)),
  maskedErrors: { maskError, isDev: false },
  batching: false,
  plugins: [
    usePersistedOperations({
      getPersistedOperation: (id) => persistedOperation(id),
      allowArbitraryOperations: (request) => !isApiKeyAuthorization(request.headers.get('authorization')),
      customErrors: { persistedQueryOnly: persistedOnlyError, notFound: persistedNotFoundError },
    }),
    // Browsers cannot send this header cross-site without a preflight.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'content-type', 'authorization'] }),
    EnvelopArmorPlugin({
      maxDepth: { n: config.graphql.maxDepth },
      costLimit: { maxCost: config.graphql.maxCost },
      maxAliases: { n: config.graphql.maxAliases },
      maxTokens: { n: config.graphql.maxTokens },
      maxDirectives: { n: 20 },
      blockFieldSuggestion: { enabled: config.production },
    }),
  ],
});
