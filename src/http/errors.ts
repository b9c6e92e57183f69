import type { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as maskUnexpectedError } from 'graphql-yoga';
import { isPoolTimeout } from '../db/pool-timeout.js';
import { DomainError } from '../domain/errors.js';

/** Seconds a client is asked to wait before retrying a request the database was too busy for. */
const BUSY_RETRY_AFTER_SECONDS = 2;

/**
 * Domain errors keep their message and code; errors GraphQL itself raised (validation, limits)
 * pass; a statement that got no database connection in time is DATABASE_BUSY (HTTP 503 with
 * Retry-After; what spends money is retried safely with its idempotency key); anything else is
 * masked (and logged). Checked by shape, not class: under some loaders
 * `graphql` is instantiated twice and `instanceof GraphQLError` would lie.
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const located = error as Partial<GraphQLError>;
  const original = located.originalError ?? error;
  if (original instanceof DomainError) {
    return createGraphQLError(original.message, {
      nodes: located.nodes ?? null,
      path: located.path,
      extensions: { code: original.code },
    });
  }
  if (error instanceof Error && 'extensions' in error && !located.originalError) return error;
  if (isPoolTimeout(original)) {
    console.warn('[graphql] no database connection in time:', (original as Error).message);
    return createGraphQLError('The platform is busy; retry in a moment.', {
      nodes: located.nodes ?? null,
      path: located.path,
      extensions: { code: 'DATABASE_BUSY', http: { status: 503, headers: { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) } } },
    });
  }
  console.error('[graphql] unexpected error', original);
  return maskUnexpectedError(error, message, isDev);
}

