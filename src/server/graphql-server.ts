import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../kernel/context';
import { compiledGateway } from './compiled-executor';
import { formatError, isInternal } from '../kernel/format-error';
import type { Logger } from '../kernel/logger';
import type { Metrics } from './metrics';

/** Closes the request's database session and logs server-side failures with the request id. */
function requestLifecycle(logger: Logger, metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ contextValue, errors, operationName }) {
          for (const error of errors) {
            const code = String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
            if (code === 'INTERNAL_SERVER_ERROR' || !error.extensions?.code) {
              logger.error({ requestId: contextValue.requestId, operationName, err: error.originalError ?? error }, 'request failed');
            }
          }
        },
        async willSendResponse({ contextValue, response }) {
          await contextValue.close();
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            metrics.graphqlErrors.inc({ code: String(error.extensions?.code) });
            if (isInternal(error)) (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}

type GuardedOptions = Pick<ApolloServerOptions<RequestContext>, 'documentStore' | 'validationRules' | 'parseOptions' | 'hideSchemaDetailsFromClientErrors'>;

export function createApollo(
  schema: GraphQLSchema,
  httpServer: Server,
  logger: Logger,
  metrics: Metrics,
  exposeInternals: boolean,
  extraPlugins: ApolloServerPlugin<RequestContext>[] = [],
  /** The query guard's document store and rules, and whether errors may suggest names (server/limits). */
  guarded: GuardedOptions = {},
) {
  return new ApolloServer<RequestContext>({
    // Operations run compiled (compiled-executor.ts); Apollo takes an executor only from a gateway.
    gateway: compiledGateway(schema),
    ...guarded,
    formatError: (formatted, error) => formatError(formatted, error, exposeInternals, guarded.hideSchemaDetailsFromClientErrors),
    includeStacktraceInErrorResponses: exposeInternals,
    introspection: true,
    // main.ts owns shutdown order (HTTP, then pools); Apollo's own signal handler would race it.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No HTTP caching of CRM data; without this plugin Apollo wraps every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      requestLifecycle(logger, metrics),
      ...extraPlugins,
    ],
  });
}
