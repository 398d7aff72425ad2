import autocannon from 'autocannon';
import { requestBody, type Scenario, type Target } from './scenarios';
import { METRICS_TOKEN } from './settings';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, connection errors, timeouts and answers carrying GraphQL errors. */
  failures: number;
  /** CPU time per request of the server process and of its PostgreSQL backends, where the runner could read them. */
  cpu?: { server: number; database: number } | null;
}

export interface LoadOptions {
  url: string;
  token: string;
  duration: number;
  connections: number;
}

const headers = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });

/** Runs autocannon against one server; every request gets the next variables of the scenario. */
export async function runLoad(scenario: Scenario, target: Target, options: LoadOptions): Promise<LoadResult> {
  let n = 0;
  const result = await autocannon({
    url: `${options.url}/graphql`,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers: headers(options.token),
        setupRequest: (request) => ({ ...request, body: requestBody(scenario, n++, target) }),
      },
    ],
    verifyBody: (body) => !body.includes('"errors"'),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts + result.mismatches,
  };
}

/** One request; returns the whole answer (`{ data }`) and throws on HTTP or GraphQL errors. */
export async function send<T = Record<string, unknown>>(url: string, body: string, token?: string): Promise<{ data: T }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: token ? headers(token) : { 'content-type': 'application/json' },
    body,
  });
  const json = (await response.json()) as { data?: T; errors?: unknown[] };
  if (!response.ok || json.errors?.length || !json.data) throw new Error(`request failed (${response.status}): ${JSON.stringify(json.errors ?? json)}`);
  return { data: json.data };
}

/** SQL statements a server has sent so far: the API's Prometheus counter, the bare server's /stats. */
export async function statementsSent(url: string, target: Target): Promise<number> {
  if (target === 'bare') return ((await (await fetch(`${url}/stats`)).json()) as { statements: number }).statements;
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = /^crm_sql_statements_total (\d+(?:\.\d+)?)$/m.exec(text);
  if (!line) throw new Error('the API exposes no crm_sql_statements_total on /metrics');
  return Number(line[1]);
}

/** Average statements per request over `count` sequential requests (nothing else runs meanwhile). */
export async function statementsPerRequest(scenario: Scenario, target: Target, url: string, token: string, count = 20): Promise<number> {
  const before = await statementsSent(url, target);
  for (let i = 0; i < count; i++) await send(url, requestBody(scenario, i, target), token);
  return ((await statementsSent(url, target)) - before) / count;
}
