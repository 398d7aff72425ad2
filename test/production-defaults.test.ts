import { getIntrospectionQuery } from 'graphql';
import { freePort } from './support/processes';
import { TestApp, type Session } from './support/test-app';

/**
 * With NODE_ENV=production the API tells a stranger as little as it can: no introspection, no
 * "Did you mean …?" hints, no /metrics on the API port unless METRICS_TOKEN is set. Settings turn
 * each on; tools keep the committed SDL (schema/schema.graphql).
 */

let production: TestApp;
let opened: TestApp;
let metricsPort: number;
let alice: Session;

beforeAll(async () => {
  metricsPort = await freePort();
  production = await TestApp.start('production_defaults', { NODE_ENV: 'production', METRICS_PORT: String(metricsPort) });
  opened = await TestApp.alongside(production, undefined, {
    GRAPHQL_INTROSPECTION: true,
    GRAPHQL_SUGGESTIONS: true,
    METRICS_TOKEN: 'a-metrics-token-0123456789',
    METRICS_PORT: 0,
  });
  alice = await production.signUp('Production GmbH');
});
afterAll(async () => {
  await opened?.stop();
  await production?.stop();
});

describe('in production', () => {
  it('refuses introspection, but answers __typename', async () => {
    const refused = await production.gql(getIntrospectionQuery(), {}, alice);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0].message).toMatch(/introspection/i);
    expect((await production.gql(`{ __type(name: "Account") { name } }`, {}, alice)).status).toBe(400);
    expect((await production.ok(`{ __typename }`, {}, alice)).__typename).toBe('Query');
  });

  it('suggests no names of the schema in errors', async () => {
    const field = await production.gql(`{ acounts { totalCount } }`, {}, alice);
    expect(field.errors?.[0].message).toBe('Cannot query field "acounts" on type "Query".');
    const value = await production.gql(`mutation($role: Role!) { changeMemberRole(id: "mem_00000000000000000000000000000000", role: $role) { id } }`, { role: 'ADMINN' }, alice);
    expect(value.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(value.errors)).not.toMatch(/Did you mean/);
  });

  it('keeps /metrics off the API port without METRICS_TOKEN, and serves it on METRICS_PORT', async () => {
    expect((await fetch(`${production.url}/metrics`)).status).toBe(404);
    const separate = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(separate.status).toBe(200);
    expect(await separate.text()).toContain('crm_http_request_duration_seconds');
  });
});

describe('settings turn them on', () => {
  it('introspection and suggestions with GRAPHQL_INTROSPECTION and GRAPHQL_SUGGESTIONS, /metrics with METRICS_TOKEN', async () => {
    expect((await opened.ok(getIntrospectionQuery(), {}, alice)).__schema.queryType.name).toBe('Query');
    expect((await opened.gql(`{ acounts { totalCount } }`, {}, alice)).errors?.[0].message).toMatch(/Did you mean "accounts"/);
    expect((await fetch(`${opened.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${opened.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const allowed = await fetch(`${opened.url}/metrics`, { headers: { authorization: 'Bearer a-metrics-token-0123456789' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('crm_graphql_errors_total');
  });
});
