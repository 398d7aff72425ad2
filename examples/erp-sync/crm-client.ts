import { randomUUID } from 'node:crypto';

/** A GraphQL error as the CRM sends it: a code, and for bad input the fields it names. */
export interface CrmError {
  message: string;
  extensions?: { code?: string; fields?: { field: string; message: string }[]; retryAfterSeconds?: number };
}

export class CrmRequestError extends Error {
  constructor(readonly errors: CrmError[]) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A minimal client for the CRM's GraphQL API with an API key. Mutations carry an
 * Idempotency-Key, so a retry after a lost response never does the work twice; RATE_LIMITED
 * answers are waited out (Retry-After) and retried with the same key.
 */
export class CrmClient {
  constructor(
    private readonly url: string,
    private readonly apiKey: string,
    private readonly maxAttempts = 5,
  ) {}

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return this.send<T>(query, variables, undefined);
  }

  async mutate<T>(mutation: string, variables: Record<string, unknown> = {}): Promise<T> {
    return this.send<T>(mutation, variables, randomUUID());
  }

  private async send<T>(query: string, variables: Record<string, unknown>, idempotencyKey: string | undefined): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.apiKey}`,
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: CrmError[] };
      const retryAfter = Number(response.headers.get('retry-after') ?? 0);
      const transient = response.status === 429 || (response.status === 409 && retryAfter > 0) || response.status >= 500;
      if (transient && attempt < this.maxAttempts) {
        await sleep(Math.max(retryAfter, 1) * 1000);
        continue;
      }
      if (body.errors?.length || !body.data) throw new CrmRequestError(body.errors ?? [{ message: `HTTP ${response.status}` }]);
      return body.data;
    }
  }
}
