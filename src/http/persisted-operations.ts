import { readFileSync } from 'node:fs';
import { createGraphQLError } from 'graphql-yoga';
import { looksLikeApiKey } from '../domain/auth/api-keys.js';
import { credentialOf } from '../domain/auth/authenticate.js';

/**
 * Partners' API keys may only run the operations of the allow-list that `codegen` produces
 * (codegen/persisted-operations.json, keyed by SHA-256), sent as Apollo's
 * `extensions.persistedQuery.sha256Hash`. Logged-in users (the dashboard) may also send documents.
 */
const operations: Record<string, string> = JSON.parse(
  readFileSync(new URL('../../codegen/persisted-operations.json', import.meta.url), 'utf8'),
) as Record<string, string>;

export function persistedOperation(id: string): string | null {
  return operations[id] ?? null;
}

export function isApiKeyAuthorization(authorization: string | null | undefined): boolean {
  return looksLikeApiKey(credentialOf(authorization ?? ''));
}

export function persistedOperationId(extensions: unknown): string | null {
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' ? hash : null;
}

export const persistedOnlyError = () =>
  createGraphQLError('API keys may only run persisted operations: send extensions.persistedQuery.sha256Hash.', {
    extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
  });

export const persistedNotFoundError = () =>
  createGraphQLError('Unknown persisted operation.', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 404 } } });
