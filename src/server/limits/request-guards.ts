import { NoSchemaIntrospectionCustomRule, type GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/config';
import type { Logger } from '../../kernel/logger';
import { DocumentGuard, documentLimits } from './document-guard';
import { limitsPlugin } from './limits-plugin';
import { OperationLimits } from './operation-limits';
import { RateLimiter } from './rate-limiter';
import { SignInLimits } from './sign-in-limits';
import type { SocketAdmission } from './subscription-limits';
import { ValidatedDocuments } from './validated-documents';
import { WorkspaceGate } from './workspace-gate';

/**
 * Everything that stands between a request and the resolvers, built once per server from the
 * configuration: the document guard and its cache, the operation, rate and sign-in limits, the
 * per-workspace gate, and what Apollo and graphql-ws need of them (the same validation rules on
 * both paths, so a document validated on one is valid on the other).
 */
export function requestGuards(config: Config, redis: Redis, logger: Logger) {
  const limiter = new RateLimiter(redis, config.RATE_LIMIT_KEY_PREFIX, logger);
  const limits = new OperationLimits(config, limiter);
  const signIns = new SignInLimits(config, limiter);
  const guard = new DocumentGuard(documentLimits(config), new ValidatedDocuments());
  const gate = new WorkspaceGate(config.WORKSPACE_MAX_CONCURRENT_REQUESTS || Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 2)), config.WORKSPACE_QUEUE_TIMEOUT_MS);
  const rules = config.GRAPHQL_INTROSPECTION ? [] : [NoSchemaIntrospectionCustomRule];
  const hideSuggestions = !config.GRAPHQL_SUGGESTIONS;
  return {
    limits,
    guard,
    gate,
    plugin: limitsPlugin(limits, signIns),
    apolloOptions: { documentStore: guard.documents, validationRules: rules, parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS }, hideSchemaDetailsFromClientErrors: hideSuggestions },
    socketAdmission: (schema: GraphQLSchema): SocketAdmission => ({ schema, guard, rules, limits, signIns, hideSuggestions }),
  };
}
