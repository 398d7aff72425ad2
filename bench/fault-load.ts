import { Agent, request } from 'node:http';

/**
 * The fault benchmark's mixed load: `connections` keep-alive clients, each bound to one of the
 * workspaces in turn, sending one request after another (reads like the deals page and the account
 * overview, writes like createDeal and updateDeal) and keeping every answer's time, status and
 * error code, so a fault's effect can be read off the timeline afterwards.
 */

export interface LoadWorkspace {
  name: string;
  token: string;
  accountIds: string[];
  /** Deals to update; createDeal adds the ones it made. */
  dealIds: string[];
}

export interface Outcome {
  /** Epoch ms. */
  start: number;
  end: number;
  /** HTTP status; 0 when no answer came (connection error or timeout). */
  status: number;
  /** The GraphQL operation's name (FaultDeals, FaultAccount, FaultCreateDeal, FaultUpdateDeal). */
  operation: string;
  write: boolean;
  /** The first GraphQL error's code, or the transport error's (ECONNRESET, TIMEOUT). */
  code: string | null;
  retryAfter: boolean;
}

const DEALS_PAGE = `query FaultDeals { deals(first: 25) { edges { node { id name amount status tags account { id name } stage { id name } } } pageInfo { hasNextPage endCursor } } }`;
const ACCOUNT_OVERVIEW = `query FaultAccount($id: ID!) { account(id: $id) { id name contacts(first: 20) { edges { node { id name email } } } deals(first: 20, filter: { status: { eq: OPEN } }) { edges { node { id name amount stage { id name } } } } } }`;
const CREATE_DEAL = `mutation FaultCreateDeal($input: CreateDealInput!) { createDeal(input: $input) { id version } }`;
const UPDATE_DEAL = `mutation FaultUpdateDeal($id: ID!, $input: DealInput!) { updateDeal(id: $id, input: $input) { id version } }`;

type Request = { operation: string; body: string; write: boolean; created?: LoadWorkspace };

/** Ten requests in a row of one client: 70 % reads, 20 % createDeal, 10 % updateDeal. */
const MIX = ['deals', 'account', 'deals', 'create', 'account', 'deals', 'update', 'account', 'deals', 'create'] as const;

function nextRequest(workspace: LoadWorkspace, n: number): Request {
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)];
  switch (MIX[n % MIX.length]) {
    case 'deals':
      return { operation: 'FaultDeals', body: JSON.stringify({ query: DEALS_PAGE }), write: false };
    case 'account':
      return { operation: 'FaultAccount', body: JSON.stringify({ query: ACCOUNT_OVERVIEW, variables: { id: pick(workspace.accountIds) } }), write: false };
    case 'create': {
      const input = { name: `Fault deal ${n}`, amount: `${1000 + (n % 9000)}.00`, accountId: pick(workspace.accountIds) };
      return { operation: 'FaultCreateDeal', body: JSON.stringify({ query: CREATE_DEAL, variables: { input } }), write: true, created: workspace };
    }
    case 'update':
      return { operation: 'FaultUpdateDeal', body: JSON.stringify({ query: UPDATE_DEAL, variables: { id: pick(workspace.dealIds), input: { amount: `${n % 50_000}.25` } } }), write: true };
  }
}

export class MixedLoad {
  readonly outcomes: Outcome[] = [];
  private readonly agent: Agent;
  private readonly endpoint: URL;

  constructor(
    apiUrl: string,
    private readonly workspaces: LoadWorkspace[],
    private readonly connections: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
    this.endpoint = new URL('/graphql', apiUrl);
  }

  /** Runs every client until `durationMs` have passed; resolves once the last answer is in. */
  async run(durationMs: number): Promise<void> {
    const until = Date.now() + durationMs;
    const client = async (index: number) => {
      const workspace = this.workspaces[index % this.workspaces.length];
      // Offset by the client's index, so the clients are at different points of the mix.
      for (let n = index; Date.now() < until; n++) {
        const outcome = await this.send(workspace.token, nextRequest(workspace, n));
        this.outcomes.push(outcome);
        // As the API asks of its clients: wait as long as a 503's Retry-After says (it says 1 s).
        if (outcome.retryAfter) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    await Promise.all(Array.from({ length: this.connections }, (_, index) => client(index)));
    this.agent.destroy();
  }

  private send(token: string, next: Request): Promise<Outcome> {
    const start = Date.now();
    return new Promise((resolve) => {
      const done = (status: number, code: string | null, retryAfter = false) =>
        resolve({ start, end: Date.now(), status, operation: next.operation, write: next.write, code, retryAfter });
      const req = request(
        this.endpoint,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(next.body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error: NodeJS.ErrnoException) => done(0, error.code ?? error.message));
          res.on('end', () => {
            let code: string | null = null;
            try {
              const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: Record<string, { id?: string } | null>; errors?: Array<{ extensions?: { code?: string } }> };
              if (json.errors?.length) code = json.errors[0].extensions?.code ?? 'UNKNOWN';
              const made = json.data?.createDeal?.id;
              if (made && next.created) next.created.dealIds.push(made);
            } catch {
              code = 'NOT_JSON';
            }
            done(res.statusCode ?? 0, code, res.headers['retry-after'] !== undefined);
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => done(0, error.code ?? error.message));
      req.end(next.body);
    });
  }
}

/** A request answered 2xx without GraphQL errors. */
export const succeeded = (outcome: Outcome) => outcome.status >= 200 && outcome.status < 300 && outcome.code === null;

/** What the answers were: `200`, `200 FORBIDDEN` (GraphQL errors by code), `503 SERVICE_UNAVAILABLE (Retry-After)`, `no answer ECONNRESET`. */
export function statusHistogram(outcomes: Outcome[]): Map<string, number> {
  const histogram = new Map<string, number>();
  for (const outcome of outcomes) {
    const status = outcome.status === 0 ? 'no answer' : String(outcome.status);
    const key = [status, outcome.code, outcome.retryAfter ? '(Retry-After)' : null].filter(Boolean).join(' ');
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
  }
  return new Map([...histogram].sort((a, b) => b[1] - a[1]));
}

export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}
