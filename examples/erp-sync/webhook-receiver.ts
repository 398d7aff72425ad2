import { createServer, type Server } from 'node:http';
import { verifyWebhook } from './verify-webhook';

export interface Delivery {
  id: string;
  type: string;
  record: { type: string; id: string };
  changedFields?: string[];
  after?: Record<string, unknown> | null;
}

/**
 * An HTTP endpoint for the CRM's webhooks: verifies each delivery's signature and timestamp
 * (401 otherwise), answers 2xx at once, and hands each event to `apply` only once, however often
 * it is delivered (the CRM retries until it gets a 2xx; the event id stays the same).
 */
export function webhookReceiver(secret: string, apply: (delivery: Delivery) => void, onRejected: (reason: string) => void): Server {
  const seen = new Set<string>();
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verdict = verifyWebhook(secret, request.headers, body);
      if (!verdict.ok) {
        onRejected(verdict.reason);
        response.writeHead(401).end();
        return;
      }
      response.writeHead(204).end();
      if (seen.has(verdict.eventId)) return;
      seen.add(verdict.eventId);
      apply(JSON.parse(body) as Delivery);
    });
  });
}
