import { createHash } from 'node:crypto';
import {
  getArgumentValues,
  Kind,
  type DocumentNode,
  type FieldNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Config } from '../../config/config';
import type { RequestContext } from '../../kernel/context';
import { appError } from '../../kernel/errors';
import type { BucketPolicy, RateDecision, RateLimiter } from './rate-limiter';

/**
 * What a mutation that takes credentials declares in its field extensions (identity.resolver.ts):
 * `account` is the argument path of the account it signs in to (`input.email`), when a password is
 * checked against it; a refresh token names no account (it cannot be guessed).
 */
export interface CredentialsExtension {
  account?: string;
}

/** A sign-in under way: settled once its answer is known. */
export interface SignInAttempt {
  responseKey: string;
  /** The account bucket charged for it, given back if the sign-in succeeds. */
  account: { bucket: string; trustKey: string } | null;
}

export type SignInAdmission = { refused: GraphQLError; status: number; retryAfterSeconds?: number } | { attempt: SignInAttempt } | null;

const DAY_SECONDS = 24 * 3600;
const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/**
 * Password guessing, limited wherever it comes from. Every request that takes credentials
 * (signIn, signUp, refreshToken) is charged to its client address's sign-in bucket, whatever
 * token it carries; one that checks a password is also charged to the account it names (an
 * attempt per RATE_LIMIT_SIGN_IN_ACCOUNT_CAPACITY per hour), and given back when it succeeds, so
 * only failures add up. A stranger who exhausts an account's attempts locks out only other
 * strangers: addresses the account signed in from successfully (within SIGN_IN_TRUSTED_DAYS) have
 * an account bucket of their own. One credential field per request; none over graphql-ws.
 */
export class SignInLimits {
  private readonly address: BucketPolicy;
  private readonly account: BucketPolicy;
  private readonly trustSeconds: number;

  constructor(
    config: Config,
    private readonly limiter: RateLimiter,
  ) {
    this.address = { capacity: config.RATE_LIMIT_SIGN_IN_CAPACITY, refillPerSecond: config.RATE_LIMIT_SIGN_IN_REFILL_PER_SECOND };
    this.account = { capacity: config.RATE_LIMIT_SIGN_IN_ACCOUNT_CAPACITY, refillPerSecond: config.RATE_LIMIT_SIGN_IN_ACCOUNT_CAPACITY / 3600 };
    this.trustSeconds = config.SIGN_IN_TRUSTED_DAYS * DAY_SECONDS;
  }

  /** The credential fields an operation selects at its root. */
  credentialFields(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Array<{ node: FieldNode; field: GraphQLField<unknown, unknown> }> {
    const root = schema.getRootType(operation.operation);
    if (!root) return [];
    const fields = root.getFields();
    return rootFields(document, operation.selectionSet).flatMap((node) => {
      const field = fields[node.name.value];
      return field?.extensions?.credentials ? [{ node, field }] : [];
    });
  }

  /** Before a credential field runs: null when the operation has none, else the attempt or the refusal. */
  async admit(ctx: RequestContext, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables?: Record<string, unknown> | null): Promise<SignInAdmission> {
    const found = this.credentialFields(schema, document, operation);
    if (found.length === 0) return null;
    if (found.length > 1) return { refused: onePerRequest(found[1].node.name.value), status: 400 };
    const [{ node, field }] = found;
    const address = ctx.clientAddress ?? 'unknown';
    const byAddress = await this.limiter.take(`signin:ip:${address}`, this.address, 1);
    if (byAddress && !byAddress.allowed) return tooMany(byAddress, 'address', 'Too many sign-in attempts from this address');
    const path = (field.extensions.credentials as CredentialsExtension).account;
    const email = path ? accountOf(field, node, variables, path) : null;
    if (!email) return { attempt: { responseKey: node.alias?.value ?? node.name.value, account: null } };
    const accountKey = digest(email);
    const trustKey = `signin:trusted:${accountKey}:${digest(address)}`;
    // A trusted address has the account's attempts to itself: strangers elsewhere cannot use them up.
    const bucket = (await this.limiter.recalls(trustKey)) ? `signin:account:${accountKey}:${digest(address)}` : `signin:account:${accountKey}`;
    const byAccount = await this.limiter.take(bucket, this.account, 1);
    if (byAccount && !byAccount.allowed) return tooMany(byAccount, 'account', 'Too many failed sign-ins to this account');
    return { attempt: { responseKey: node.alias?.value ?? node.name.value, account: { bucket, trustKey } } };
  }

  /** Once the answer is known: an attempt that succeeded (which also trusts the address) or never ran gives the account's point back. */
  async settle(attempt: SignInAttempt, outcome: 'succeeded' | 'failed' | 'not run'): Promise<void> {
    const { account } = attempt;
    if (!account || outcome === 'failed') return;
    await Promise.all([
      this.limiter.give(account.bucket, this.account, 1),
      outcome === 'succeeded' ? this.limiter.remember(account.trustKey, this.trustSeconds) : undefined,
    ]);
  }
}

/** The account a credential names, lower-cased: `path` into the field's arguments (raw variables are fine here, only a string is read). */
function accountOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown> | null | undefined, path: string): string | null {
  let value: unknown;
  try {
    value = getArgumentValues(field, node, variables ?? undefined);
  } catch {
    return null; // a missing or mistyped argument: execution refuses it before anything is checked
  }
  for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' && value.trim() ? value.trim().toLowerCase() : null;
}

/** Fields at the root of an operation, through fragments (which cannot form cycles in a valid document). */
function rootFields(document: DocumentNode, set: SelectionSetNode, seen = new Set<string>()): FieldNode[] {
  return set.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(document, selection.selectionSet, seen);
    if (seen.has(selection.name.value)) return [];
    seen.add(selection.name.value);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? rootFields(document, fragment.selectionSet, seen) : [];
  });
}

function onePerRequest(second: string): GraphQLError {
  const message = `One sign-in per request: ${second} is a second field that takes credentials`;
  return appError('BAD_USER_INPUT', message, { fields: [{ field: 'query', message }] });
}

function tooMany(decision: RateDecision, limit: 'address' | 'account', what: string): SignInAdmission {
  const retryAfterSeconds = decision.retryAfterSeconds;
  return {
    refused: appError('RATE_LIMITED', `${what}; retry in ${retryAfterSeconds} s`, { limit, retryAfterSeconds }),
    status: 429,
    retryAfterSeconds,
  };
}
