import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPersistedOperations } from '../../codegen/persisted-operations.js';
import { printedSchema } from '../../codegen/print-schema.js';

describe('codegen/schema.graphql', () => {
  it('matches the running schema (run `npm run generate` after changing the schema)', () => {
    const checkedIn = readFileSync(new URL('../../codegen/schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printedSchema());
  });

  it('has the persisted-operation allow-list of every operation under codegen/operations', () => {
    const checkedIn = JSON.parse(readFileSync(new URL('../../codegen/persisted-operations.json', import.meta.url), 'utf8'));
    expect(checkedIn).toEqual(buildPersistedOperations());
  });

  it('keeps the root fields of the public contract (SPEC section 21) that exist so far', () => {
    const sdl = printedSchema();
    for (const field of ['me', 'node', 'plans', 'signUp', 'confirmMobile', 'logIn', 'refreshSession', 'logOut', 'createApiKey', 'revokeApiKey', 'activateService']) {
      expect(sdl).toMatch(new RegExp(`\\n  ${field}\\(|\\n  ${field}:`));
    }
  });
});
