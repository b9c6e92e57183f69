/** Where the carrier layer reports what an operator should see: binds going up and down, throttling, dropped events. */
export interface CarrierLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function consoleCarrierLogger(prefix = '[carriers]'): CarrierLogger {
  return {
    info: (message) => console.info(prefix, message),
    warn: (message) => console.warn(prefix, message),
    error: (message, error) => (error === undefined ? console.error(prefix, message) : console.error(prefix, message, error)),
  };
}

export const silentCarrierLogger: CarrierLogger = { info: () => {}, warn: () => {}, error: () => {} };
