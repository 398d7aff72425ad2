import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../kernel/context';

/**
 * A request the database could not serve (SERVICE_UNAVAILABLE: connection lost, statement
 * timeout) is answered HTTP 503 with Retry-After, unless it is a query that still has data to
 * show, which keeps GraphQL's partial answer with 200. Clients and proxies then retry what is safe.
 */
export function unavailableStatusPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operation }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          if (!errors?.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) return;
          const partial = operation?.operation === 'query' && Object.values(data ?? {}).some((value) => value !== null);
          if (partial) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', '1');
        },
      };
    },
  };
}
