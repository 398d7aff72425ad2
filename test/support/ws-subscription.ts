import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestApp } from './test-app';

export interface WsSubscription<T> {
  /** What `field` of each result carried, in arrival order. */
  received: T[];
  /**
   * Settles when the subscription ends: with the GraphQL errors (refused at subscribe time, or
   * ended by an error), a close event (e.g. 4403), or null on completion.
   */
  ended: Promise<unknown>;
}

/**
 * Opens one graphql-ws subscription on `app` with `token` in `connection_init` (none: no
 * credentials), collecting the `field` of each result. The client goes into `clients`, to be
 * disposed after the file.
 */
export function wsSubscribe<T>(
  app: TestApp,
  clients: Client[],
  token: string | null,
  query: string,
  field: string,
  variables: Record<string, unknown> = {},
): WsSubscription<T> {
  const client = createClient({
    url: app.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
  clients.push(client);
  const received: T[] = [];
  const ended = new Promise((resolve) =>
    client.subscribe<Record<string, T>>(
      { query, variables },
      {
        // An error at subscribe time (bad arguments) comes as one result with errors, then completion.
        next: (result) => (result.errors ? resolve(result.errors) : received.push(result.data![field])),
        error: resolve,
        complete: () => resolve(null),
      },
    ),
  );
  return { received, ended };
}
