import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; request-scoped children carry the request id. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'crm' }, timestamp: pino.stdTimeFunctions.isoTime });
}
