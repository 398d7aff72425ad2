import type { ApolloServerPlugin, HTTPGraphQLHead } from '@apollo/server';
import type { RequestContext } from '../../kernel/context';
import { rateLimited, rateLimitHeaders, type OperationLimits } from './operation-limits';
import type { RateDecision } from './rate-limiter';
import type { SignInAttempt, SignInLimits } from './sign-in-limits';

/**
 * GraphQL over HTTP: after validation and before execution, refuses an operation that cannot be
 * resolved, has a bad variable or is over the depth or complexity limit (400, BAD_USER_INPUT),
 * applies the sign-in limits to a field that takes credentials, and charges the complexity to
 * the caller's bucket (429, RATE_LIMITED, when empty). A request that never got that far (a parse
 * or validation error) costs 1 point, so every response of a limited caller carries the
 * RateLimit-* headers. After it ran, an operation also pays for the database time its complexity
 * did not cover (a point per GRAPHQL_DATABASE_MS_PER_POINT milliseconds).
 */
export function limitsPlugin(limits: OperationLimits, signIns: SignInLimits): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let decision: RateDecision | null | undefined;
      let charged = 0;
      let signIn: SignInAttempt | null = null;
      const report = (http: HTTPGraphQLHead, answer: RateDecision | null) => {
        decision = answer;
        if (answer) for (const [name, value] of rateLimitHeaders(answer)) http.headers.set(name, value);
      };
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue, response }) {
          const cost = limits.measure(schema, document, operation, request.operationName, request.variables);
          if (typeof cost !== 'number') {
            response.http.status = 400;
            throw cost;
          }
          const admission = operation ? await signIns.admit(contextValue, schema, document, operation, request.variables) : null;
          if (admission && 'refused' in admission) {
            response.http.status = admission.status;
            if (admission.retryAfterSeconds) response.http.headers.set('retry-after', String(admission.retryAfterSeconds));
            throw admission.refused;
          }
          signIn = admission?.attempt ?? null;
          charged = cost;
          report(response.http, await limits.charge(contextValue, cost));
          if (decision && !decision.allowed) {
            response.http.status = 429;
            throw rateLimited(decision);
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (decision === undefined) {
            report(response.http, await limits.charge(contextValue, 1));
            return;
          }
          if (signIn) {
            const data = response.body.kind === 'single' ? response.body.singleResult.data : null;
            await signIns.settle(signIn, decision?.allowed === false ? 'not run' : data?.[signIn.responseKey] != null ? 'succeeded' : 'failed');
          }
          // Database time beyond what the complexity paid for is charged afterwards (a totalCount over a million
          // rows, a scan by an unindexed filter): never refused, it may leave the bucket in debt for the next request.
          const beyond = Math.floor(contextValue.db.usage.databaseMs / limits.databaseMsPerPoint) - charged;
          if (decision?.allowed && beyond > 0) report(response.http, await limits.charge(contextValue, beyond, true));
        },
      };
    },
  };
}
