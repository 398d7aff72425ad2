import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import pino from 'pino';
import { formatError } from '../src/kernel/format-error';
import { TestApp, errorCode } from './support/test-app';

let t: TestApp;

beforeAll(async () => {
  t = await TestApp.start('operations');
});
afterAll(() => t.stop());

describe('operations endpoints', () => {
  test('/healthz answers while the process is up', async () => {
    const response = await fetch(`${t.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('/readyz reports PostgreSQL and Redis', async () => {
    const response = await fetch(`${t.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  test('/metrics serves Prometheus text including request durations', async () => {
    await fetch(`${t.url}/healthz`);
    const response = await fetch(`${t.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/crm_http_request_duration_seconds_count\{route="\/healthz",status="200"\} \d+/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('a request id is echoed, or one is made', async () => {
    const given = await fetch(`${t.url}/graphql?query=%7B__typename%7D`, { headers: { 'x-request-id': 'abc-123', 'apollo-require-preflight': 'true' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await fetch(`${t.url}/graphql?query=%7B__typename%7D`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('GET serves queries but never mutations', async () => {
    const mutation = encodeURIComponent('mutation { signOut(refreshToken: "x") }');
    const response = await fetch(`${t.url}/graphql?query=${mutation}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(response.status).toBe(405);
  });

  test('malformed JSON and unknown routes get clear answers', async () => {
    const bad = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await fetch(`${t.url}/nope`)).status).toBe(404);
  });

  test('syntax errors and unknown fields are BAD_USER_INPUT', async () => {
    expect(errorCode(await t.gql('{ accounts { '))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql('{ noSuchField }'))).toBe('BAD_USER_INPUT');
  });

  test('every request is logged as one JSON line with its request id, status and duration', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logged = await TestApp.start('operations_log', {}, pino({ level: 'info' }, sink));
    try {
      await fetch(`${logged.url}/healthz`, { headers: { 'x-request-id': 'trace-42' } });
      await logged.gql('{ __typename }');
      const requests = lines.filter((line) => line.msg === 'request');
      expect(requests).toEqual([
        expect.objectContaining({ requestId: 'trace-42', method: 'GET', route: '/healthz', status: 200, ms: expect.any(Number) }),
        expect.objectContaining({ method: 'POST', route: '/graphql', status: 200, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
      ]);
    } finally {
      await logged.stop();
    }
  });

  test('a stopping server finishes the request in flight', async () => {
    const other = await TestApp.start('operations_stop');
    // Sign-up hashes a password (tens of milliseconds), so it is still running when the stop begins.
    let stopping: Promise<void> | undefined;
    other.app.server.httpServer.once('request', () => {
      stopping = other.stop();
    });
    const result = await other.signUp('Late Arrival AG');
    await stopping;
    expect(stopping).toBeDefined();
    expect(result.workspaceId).toMatch(/^wsp_/);
  });
});

describe('error hygiene', () => {
  const internal = new GraphQLError('relation "secret_table" does not exist', { originalError: new Error('SELECT * FROM secret_table') });

  test('outside development, an unknown error says nothing internal', () => {
    const formatted = formatError({ message: internal.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, internal, false);
    expect(formatted).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  test('codes outside the contract are mapped onto it', () => {
    const formatted = formatError({ message: 'Something odd', extensions: { code: 'SOMETHING_ODD' } }, new Error('x'), false);
    expect(formatted.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });
});
