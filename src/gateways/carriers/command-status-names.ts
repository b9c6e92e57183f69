import smpp from 'smpp';

// Kept apart from `command-status.ts` so that the settings (which use the constants through the
// simulator's outcome table) do not load the SMPP package.
const NAMES = new Map<number, string>(Object.entries(smpp.errors).map(([name, value]) => [value, name]));

/** `ESME_RINVDSTADR (0x0000000B)`, for errors and logs. */
export function describeCommandStatus(status: number): string {
  const hex = `0x${status.toString(16).toUpperCase().padStart(8, '0')}`;
  const name = NAMES.get(status);
  return name ? `${name} (${hex})` : hex;
}
