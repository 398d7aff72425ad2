import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; request-scoped children carry the request id; `pid` tells cluster workers apart. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'crm', pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
