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

  it('lets errors GraphQL itself raised through (validation, limits)', () => {
    const validation = new GraphQLError('Cannot query field "nope" on type "Query".', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(maskError(validation, 'Unexpected error.')).toBe(validation);
  });
});
