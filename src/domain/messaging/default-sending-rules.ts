/**
 * Default sending rules by recipient country (SPEC section 4). Data only: an operator can replace
 * them with rules loaded from the database. Countries not listed have no restriction
 * (`default: null`); set `default` to restrict them too.
 */
import type { SendingRules } from './sending-windows.js';

export const DEFAULT_SENDING_RULES: SendingRules = {
  countries: {
    FR: {
      timeZone: 'Europe/Paris',
      // Monday to Saturday, 08:00 to 20:00; never on Sundays nor public holidays.
      marketingWindows: [{ days: [1, 2, 3, 4, 5, 6], from: '08:00', to: '20:00' }],
      publicHolidays: 'FR',
      marketingOptOutMention: 'STOP au 30101',
    },
  },
  default: null,
};
