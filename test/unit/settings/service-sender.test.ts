import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/settings.js';

describe('the SERVICE_SENDER setting', () => {
  it('defaults to SMSPLATFORM and takes any sender id carriers accept', () => {
    expect(parseConfig({}).serviceMessages.sender).toBe('SMSPLATFORM');
    expect(parseConfig({ SERVICE_SENDER: 'Acme Codes' }).serviceMessages.sender).toBe('Acme Codes');
  });

  it.each([
    ['too short', 'AB', /SERVICE_SENDER: .*3 to 11 characters/],
    ['too long', 'ACMEPLATFORM1', /SERVICE_SENDER: .*3 to 11 characters/],
    ['accented', 'Sécurité', /SERVICE_SENDER: .*letters without accents/],
    ['digits only', '123456', /SERVICE_SENDER: .*no letter/],
    ['a short code', '12345', /SERVICE_SENDER: /],
    ['a phone number', '+33612345678', /SERVICE_SENDER: /],
  ])('refuses a sender id %s, naming the setting', (_case, value, message) => {
    expect(() => parseConfig({ SERVICE_SENDER: value })).toThrow(message);
  });
});
