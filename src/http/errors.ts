import type { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as maskUnexpectedError } from 'graphql-yoga';
import { DomainError } from '../domain/errors.js';

/**
 * Domain errors keep their message and code; errors GraphQL itself raised (validation, limits)
 * pass; anything else is masked (and logged). Checked by shape, not class: under some loaders
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
  console.error('[graphql] unexpected error', original);
  return maskUnexpectedError(error, message, isDev);
}

