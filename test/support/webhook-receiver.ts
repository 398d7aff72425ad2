import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How a receiver checks a delivery (the snippet in docs/events.md): the signature over
 * "<webhook-id>.<webhook-timestamp>.<raw body>" with the secret (a `whsec_` secret's base64
 * bytes), and a timestamp within `toleranceSeconds` of its own clock, so a captured delivery
 * cannot be replayed later.
 */
export function verifyWebhook(secret: string, headers: IncomingHttpHeaders, rawBody: string, toleranceSeconds = 300, nowSeconds = Date.now() / 1000): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export interface ReceivedDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  /** The signature checked with the path's secret (false when none is set). */
  verified: boolean;
  receivedAt: number;
}

/** A webhook receiver on 127.0.0.1: answers each path with the status set for it (default 200; a list is answered in turn, the last repeating) and keeps every request. */
export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  readonly statuses = new Map<string, number[] | number>();
  readonly secrets = new Map<string, string>();
  /** Called on each request (the bench measures with it); nothing is kept when `keep` is false. */
  onDelivery: ((delivery: ReceivedDelivery) => void) | null = null;
  keep = true;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver: WebhookReceiver = new WebhookReceiver(
      createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const path = request.url ?? '';
          const raw = Buffer.concat(chunks).toString('utf8');
          const secret = receiver.secrets.get(path);
          const delivery = { path, headers: request.headers, raw, body: JSON.parse(raw || 'null'), verified: !!secret && verifyWebhook(secret, request.headers, raw), receivedAt: Date.now() };
          if (receiver.keep) receiver.received.push(delivery);
          receiver.onDelivery?.(delivery);
          response.writeHead(receiver.statusFor(path)).end('{"received":true}');
        });
      }),
    );
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  private statusFor(path: string): number {
    const status = this.statuses.get(path) ?? 200;
    if (!Array.isArray(status)) return status;
    return status.length > 1 ? status.shift()! : status[0];
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  hits(path: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
