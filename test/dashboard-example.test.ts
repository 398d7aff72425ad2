import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TestApp, type Session } from './support/test-app';

/**
 * examples/dashboard as a front-end team would open it: the API serves the page
 * (SERVE_EXAMPLES), headless Chromium (Debian's `chromium`, driven by playwright-core) signs in
 * with a token, every figure shown is checked against the API's own answers, and a deal change
 * must reach the page through `dashboardUpdated`. Waits are on conditions in the page, never
 * fixed sleeps. The screenshot goes to test-output/dashboard.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = path.join(__dirname, '..', 'test-output');
const LIVE_TIMEOUT_MS = 20_000;

let t: TestApp;
let browser: Browser;
let page: Page;
let admin: Session;
let stages: Array<{ id: string; name: string; kind: string }>;

const today = new Date().toISOString().slice(0, 10);

async function createDeal(name: string, stageId: string, amount: string): Promise<string> {
  const input = { name, stageId, amount, currency: 'EUR', expectedCloseDate: today, ownerId: admin.userId };
  return (await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input }, admin)).createDeal.id;
}

beforeAll(async () => {
  t = await TestApp.start('dashboard_example');
  admin = await t.signUp('Dashboard Example GmbH');
  const { pipelines } = await t.ok(`{ pipelines { edges { node { isDefault stages { id name kind } } } } }`, {}, admin);
  stages = pipelines.edges.find((edge: { node: { isDefault: boolean } }) => edge.node.isDefault).node.stages;
  const open = stages.filter((stage) => stage.kind === 'OPEN');
  // Deals across the open stages, one won and one lost: every panel has figures.
  for (const [i, stage] of open.entries()) {
    for (let n = 0; n <= i % 2; n++) await createDeal(`${stage.name} deal ${n}`, stage.id, `${1000 * (i + 1) + 250 * n}.50`);
  }
  const won = await createDeal('Won deal', open[0].id, '4200.00');
  await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: won }, admin);
  const lost = await createDeal('Lost deal', open[1].id, '900.00');
  await t.ok(`mutation($id: ID!) { loseDeal(id: $id, reason: "Budget") { id } }`, { id: lost }, admin);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/**
 * Every figure the page shows, by panel, as the exact values in its data-value attributes. Run
 * in the page (a script, since this project compiles without the DOM's types).
 */
const SHOWN = `(() => {
  const values = (root) => Object.fromEntries([...(root?.querySelectorAll('[data-figure]') ?? [])].map((el) => [el.dataset.figure, el.dataset.value]));
  const panel = {};
  for (const row of document.querySelectorAll('#pipeline tr[data-stage]')) panel['pipeline:' + row.dataset.stage] = values(row);
  for (const row of document.querySelectorAll('#forecast [data-category]')) panel['forecast:' + row.dataset.category] = values(row);
  for (const row of document.querySelectorAll('#funnel [data-stage]')) panel['funnel:' + row.dataset.stage] = values(row);
  panel['win-rate'] = values(document.querySelector('#win-rate'));
  panel.period = { forecast: document.querySelector('#forecast-period').textContent };
  return panel;
})()`;
const shown = (): Promise<Record<string, Record<string, string>>> => page.evaluate(SHOWN);

/** The same figures as the API answers them, in the page's form (decimals as strings, null as ''). */
async function answered(period: string): Promise<Record<string, Record<string, string>>> {
  const text = (value: unknown) => (value == null ? '' : String(value));
  const data = await t.ok(
    `query($period: Period!) {
      dealAggregate(groupBy: [STAGE], measures: [COUNT, SUM_AMOUNT, WEIGHTED_AMOUNT], filter: { status: { eq: OPEN } }) {
        groups { keys { label } count sumAmount weightedAmount } total { count sumAmount weightedAmount }
      }
      forecast(period: $period, by: OWNER) { period total { pipeline bestCase commit closed omitted weighted } }
      dealFunnel(period: $period) { total { stages { name reached } } }
      dealVelocity(period: $period) { total { won lost winRate averageDealSize } }
    }`,
    { period },
    admin,
  );
  const expected: Record<string, Record<string, string>> = {};
  const group = (g: { count: number; sumAmount: string; weightedAmount: string }) => ({ count: text(g.count), sum: text(g.sumAmount), weighted: text(g.weightedAmount) });
  for (const g of data.dealAggregate.groups) expected[`pipeline:${g.keys[0].label}`] = group(g);
  expected['pipeline:total'] = group(data.dealAggregate.total);
  for (const key of ['commit', 'bestCase', 'pipeline', 'closed', 'omitted', 'weighted']) expected[`forecast:${key}`] = { [key]: text(data.forecast.total[key]) };
  for (const stage of data.dealFunnel.total.stages) expected[`funnel:${stage.name}`] = { reached: text(stage.reached) };
  const velocity = data.dealVelocity.total;
  expected['win-rate'] = { 'win-rate': text(velocity.winRate), won: text(velocity.won), lost: text(velocity.lost), 'average-deal-size': text(velocity.averageDealSize) };
  expected.period = { forecast: data.forecast.period };
  return expected;
}

const pushedAt = () => page.locator('#status').getAttribute('data-computed-at');

test('the page shows the API’s figures, follows a won and a new deal live, and is captured', async () => {
  await page.goto(`${t.url}/examples/dashboard/`);
  await page.fill('#sign-in [name=token]', admin.token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#status[data-computed-at]', { timeout: LIVE_TIMEOUT_MS });

  const first = await shown();
  expect(first.period.forecast).toMatch(/^\d{4}-Q[1-4]$/);
  expect(first).toEqual(await answered(first.period.forecast));
  expect(Number(first['pipeline:total'].count)).toBeGreaterThan(0);
  expect(first['win-rate']['win-rate']).toBe('0.5');

  // A change through the API: the page must follow without a reload.
  const before = await pushedAt();
  const stage = stages.find((s) => s.kind === 'OPEN')!;
  const wonNow = await createDeal('Live deal', stage.id, '777.25');
  await t.ok(`mutation($id: ID!) { winDeal(id: $id) { id } }`, { id: wonNow }, admin);
  const won = String(Number(first['win-rate'].won) + 1);
  await page.waitForSelector(`#win-rate [data-figure="won"][data-value="${won}"]`, { timeout: LIVE_TIMEOUT_MS });
  expect(await pushedAt()).not.toBe(before);
  const live = await shown();
  expect(live).toEqual(await answered(first.period.forecast));
  expect(live['win-rate']['win-rate']).not.toBe(first['win-rate']['win-rate']);

  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, 'dashboard.png'), fullPage: true });
});

test('the API serves the page’s three files and nothing else from there', async () => {
  const get = (route: string) => fetch(`${t.url}${route}`, { redirect: 'manual' });
  expect((await get('/examples/dashboard')).headers.get('location')).toBe('/examples/dashboard/');
  for (const [file, type] of [['', 'text/html'], ['dashboard.js', 'text/javascript'], ['dashboard.css', 'text/css']]) {
    const response = await get(`/examples/dashboard/${file}`);
    expect([response.status, response.headers.get('content-type')?.split(';')[0]]).toEqual([200, type]);
  }
  for (const route of ['/examples/dashboard/README.md', '/examples/dashboard/%2e%2e%2f%2e%2e%2fpackage.json', '/examples/dashboard/missing.js', '/examples/dashboardx']) {
    expect((await get(route)).status).toBe(404);
  }
});
