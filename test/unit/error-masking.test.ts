import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '../../src/domain/errors.js';
import { maskError } from '../../src/http/errors.js';

describe('error masking', () => {
  it('keeps the message and code of errors a user can act on', () => {
    const located = new GraphQLError('x', { path: ['revokeApiKey'], originalError: new NotFoundError('API key') });
    const masked = maskError(located, 'Unexpected error.') as GraphQLError;
    expect(masked.message).toBe('API key not found.');
    expect(masked.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(masked.path).toEqual(['revokeApiKey']);
  });

  it('hides anything else behind a generic message, and logs it', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const leak = new GraphQLError('x', { originalError: new Error('connect ECONNREFUSED 10.0.0.5:5432 password=secret') });
    const masked = maskError(leak, 'Unexpected error.', false) as GraphQLError;
    expect(masked.message).toBe('Unexpected error.');
    expect(JSON.stringify(masked)).not.toContain('secret');
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
  });

  it('tells a busy database (no connection in time) from a failure: DATABASE_BUSY, HTTP 503 and Retry-After', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // pg-pool's error as Prisma passes it on, and its connect timeout wrapped in a cause.
    for (const original of [new Error('timeout exceeded when trying to connect'), new Error('x', { cause: new Error('Connection terminated due to connection timeout') })]) {
      const masked = maskError(new GraphQLError('x', { path: ['me'], originalError: original }), 'Unexpected error.') as GraphQLError;
      expect(masked.message).toBe('The platform is busy; retry in a moment.');
      expect(masked.extensions).toEqual({ code: 'DATABASE_BUSY', http: { status: 503, headers: { 'Retry-After': '2' } } });
      expect(masked.path).toEqual(['me']);
    }
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('lets errors GraphQL itself raised through (validation, limits)', () => {
    const validation = new GraphQLError('Cannot query field "nope" on type "Query".', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(maskError(validation, 'Unexpected error.')).toBe(validation);
  });
});
