// The example dashboard: plain browser JavaScript, no framework, no build step.
// 1. connect: sign in (e-mail and password) or paste a token / API key with reports:read;
// 2. one graphql-ws subscription, `dashboardUpdated`, brings the figures at once and again after
//    every committed change that moves them (at most once a second);
// 3. render them as tables and CSS bars. Every figure element carries its exact value in
//    `data-value` (money is an exact decimal string; the text is only formatted for people).
'use strict';

const $ = (selector, root = document) => root.querySelector(selector);

// ---- Talking to the API -------------------------------------------------------------------

/** The API's origin: the form's field, else the page's own (the API serves this page in development). */
function apiBase() {
  const given = $('#sign-in [name=api]').value.trim().replace(/\/+$/, '');
  return given || location.origin;
}

/** One GraphQL request over HTTP; throws the first error's message. */
async function gql(query, variables, token) {
  const response = await fetch(`${apiBase()}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

/**
 * A tiny client of the graphql-transport-ws protocol (what the API speaks on /graphql):
 * connection_init with the token, then subscribe / next / error / complete per operation id.
 * It reconnects with a growing pause after a lost connection and subscribes again; the first
 * message of `dashboardUpdated` brings the current figures, so nothing is missed meanwhile.
 */
function liveConnection(token, onState) {
  const url = `${apiBase().replace(/^http/, 'ws')}/graphql`;
  const operations = new Map(); // id → { payload, sink }
  let socket = null;
  let ready = false;
  let nextId = 1;
  let retries = 0;
  let closed = false;

  const send = (message) => socket.send(JSON.stringify(message));
  const start = (id) => ready && send({ id, type: 'subscribe', payload: operations.get(id).payload });

  function connect() {
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      const operation = operations.get(message.id);
      switch (message.type) {
        case 'connection_ack':
          ready = true;
          retries = 0;
          onState('live');
          for (const id of operations.keys()) start(id);
          break;
        case 'ping':
          send({ type: 'pong' });
          break;
        case 'next':
          operation?.sink.next(message.payload);
          break;
        case 'error':
          operations.delete(message.id);
          operation?.sink.error(message.payload);
          break;
        case 'complete':
          operations.delete(message.id);
          operation?.sink.complete?.();
          break;
      }
    };
    socket.onclose = (event) => {
      ready = false;
      if (closed) return;
      // 4403: the token was refused; 4400/4500: the server will not take this client. No point retrying.
      if ([4400, 4403, 4500].includes(event.code)) return onState('error', `Connection refused (${event.code} ${event.reason})`);
      onState('reconnecting');
      setTimeout(connect, Math.min(30_000, 500 * 2 ** retries++));
    };
  }
  connect();

  return {
    subscribe(query, variables, sink) {
      const id = String(nextId++);
      operations.set(id, { payload: { query, variables }, sink });
      start(id);
      return () => {
        if (operations.delete(id) && ready) send({ id, type: 'complete' });
      };
    },
    close() {
      closed = true;
      socket.close(1000, 'bye');
    },
  };
}

// ---- What the dashboard shows -------------------------------------------------------------

/**
 * The fiscal quarter holding today in the workspace's time zone, as the reports name it
 * (`2026-Q4`; a fiscal year is named by the calendar year it starts in). An API key cannot read
 * the workspace's settings: then the calendar quarter in UTC.
 */
function currentQuarter(settings) {
  const timeZone = settings?.timeZone ?? 'UTC';
  const start0 = (settings?.fiscalYearStartMonth ?? 1) - 1;
  const [year, month] = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).format(new Date()).split('-').map(Number);
  const month0 = month - 1;
  const offset = (month0 - start0 + 12) % 12;
  return `${month0 >= start0 ? year : year - 1}-Q${Math.floor(offset / 3) + 1}`;
}

const CURRENCY_AMOUNT = 'currency amount count';
const DASHBOARD = `
subscription Dashboard($pipeline: DealAggregateInput, $forecast: ForecastInput, $funnel: DealFunnelInput, $velocity: DealVelocityInput) {
  dashboardUpdated(dealAggregate: $pipeline, forecast: $forecast, dealFunnel: $funnel, dealVelocity: $velocity) {
    computedAt
    dealAggregate {
      currency
      groups { keys { id label } count sumAmount weightedAmount unconvertedCount unconverted { ${CURRENCY_AMOUNT} } }
      total { count sumAmount weightedAmount unconvertedCount unconverted { ${CURRENCY_AMOUNT} } }
    }
    forecast { period currency total { pipeline bestCase commit closed omitted weighted deals quota attainment unconvertedCount } }
    dealFunnel { pipelineName period total { deals open won lost stages { stageId name entered reached } } }
    dealVelocity { period currency total { won lost winRate wonAmount averageDealSize averageSalesCycleDays } }
  }
}`;

/** What the dashboard asks for: open deals by stage; forecast, funnel and win rate of `quarter`. */
const dashboardArguments = (quarter) => ({
  pipeline: { groupBy: ['STAGE'], measures: ['COUNT', 'SUM_AMOUNT', 'WEIGHTED_AMOUNT'], filter: { status: { eq: 'OPEN' } } },
  forecast: { period: quarter, by: 'OWNER' },
  funnel: { period: quarter },
  velocity: { period: quarter },
});

// ---- Rendering ----------------------------------------------------------------------------

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (amount, currency) =>
  amount == null ? '–' : new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(Number(amount));
/** A figure: its exact value in data-value, formatted text for people. */
const figure = (name, value, text) => `<span data-figure="${name}" data-value="${escape(value ?? '')}">${escape(text)}</span>`;
const bar = (value, max) => `<div class="track"><div class="bar" style="width:${max > 0 ? Math.max(0, (100 * Number(value)) / max) : 0}%"></div></div>`;

function renderPipeline(aggregate) {
  const { currency, groups, total } = aggregate;
  const max = Math.max(0, ...groups.map((group) => Number(group.sumAmount ?? 0)));
  const row = (stage, group, barHtml) => `
    <tr data-stage="${escape(stage)}">
      <td>${escape(stage === 'total' ? 'Total' : stage)}</td>
      <td class="n">${figure('count', group.count, group.count)}</td>
      <td class="n">${figure('sum', group.sumAmount, money(group.sumAmount, currency))}</td>
      <td class="n">${figure('weighted', group.weightedAmount, money(group.weightedAmount, currency))}</td>
      <td>${barHtml}</td>
    </tr>`;
  $('#pipeline tbody').innerHTML = groups.map((group) => row(group.keys[0].label, group, bar(group.sumAmount ?? 0, max))).join('');
  $('#pipeline tfoot').innerHTML = row('total', total, '');
  $('#pipeline .unconverted').innerHTML = total.unconvertedCount
    ? `Without an exchange rate, not in the sums: ${total.unconverted.map((part) => `${part.count} × ${escape(part.currency)} ${escape(part.amount)}`).join(', ')}`
    : '';
}

const CATEGORIES = [
  ['commit', 'Commit'],
  ['bestCase', 'Best case'],
  ['pipeline', 'Pipeline'],
  ['closed', 'Closed'],
  ['omitted', 'Omitted'],
  ['weighted', 'Weighted pipeline'],
];

function renderForecast(forecast) {
  const { total, currency } = forecast;
  $('#forecast-period').textContent = forecast.period;
  const max = Math.max(0, ...CATEGORIES.map(([key]) => Number(total[key])));
  $('#forecast .bars').innerHTML = CATEGORIES.map(
    ([key, label]) => `
      <div class="row" data-category="${key}">
        <span>${label}</span>${bar(total[key], max)}<span class="value">${figure(key, total[key], money(total[key], currency))}</span>
      </div>`,
  ).join('');
  $('#forecast .quota').innerHTML = total.quota
    ? `Quota ${figure('quota', total.quota, money(total.quota, currency))}, attainment ${figure('attainment', total.attainment, `${(100 * Number(total.attainment)).toFixed(1)} %`)}`
    : 'No quota set for this quarter.';
}

// Each stage's share of the deals in the funnel (those that reached its first stage): reading
// down, the share that got this far. The API's conversionFromFirst counts only deals that
// entered the first stage, which deals created further along never did.
function renderFunnel(funnel) {
  const stages = funnel.total.stages;
  const max = Math.max(0, ...stages.map((stage) => stage.reached));
  const share = (stage) => (stages[0]?.reached ? ` · ${((100 * stage.reached) / stages[0].reached).toFixed(0)} %` : '');
  $('#funnel h2 small').textContent = `${funnel.pipelineName}, deals created in ${funnel.period ?? 'any period'}`;
  $('#funnel .bars').innerHTML = stages
    .map(
      (stage) => `
      <div class="row" data-stage="${escape(stage.name)}">
        <span>${escape(stage.name)}</span>${bar(stage.reached, max)}<span class="value">${figure('reached', stage.reached, stage.reached)}${share(stage)}</span>
      </div>`,
    )
    .join('');
}

function renderWinRate(velocity) {
  const { total, currency } = velocity;
  $('#win-rate .big').innerHTML = figure('win-rate', total.winRate, total.winRate == null ? '–' : `${(100 * total.winRate).toFixed(1)} %`);
  $('#win-rate .detail').innerHTML =
    `${figure('won', total.won, total.won)} won, ${figure('lost', total.lost, total.lost)} lost in ${escape(velocity.period)}` +
    (total.averageDealSize ? `; average deal ${figure('average-deal-size', total.averageDealSize, money(total.averageDealSize, currency))}` : '');
}

function render(update) {
  renderPipeline(update.dealAggregate);
  renderForecast(update.forecast);
  renderFunnel(update.dealFunnel);
  renderWinRate(update.dealVelocity);
  const status = $('#status');
  status.dataset.computedAt = update.computedAt;
  status.textContent = `Live · figures of ${new Date(update.computedAt).toLocaleTimeString()}`;
}

// ---- Connecting ---------------------------------------------------------------------------

function setStatus(state, message) {
  const status = $('#status');
  status.dataset.state = state;
  if (state !== 'live' || !status.dataset.computedAt) status.textContent = message ?? { live: 'Live', reconnecting: 'Reconnecting…' }[state] ?? state;
}

let connection = null;

async function start(token) {
  let settings = null;
  try {
    settings = (await gql(`{ workspace { timeZone fiscalYearStartMonth } }`, {}, token)).workspace;
  } catch {
    // An API key reads no workspace settings: calendar quarters then.
  }
  connection?.close();
  connection = liveConnection(token, setStatus);
  connection.subscribe(DASHBOARD, dashboardArguments(currentQuarter(settings)), {
    next: (result) => {
      if (result.errors?.length) return setStatus('error', result.errors[0].message);
      render(result.data.dashboardUpdated);
    },
    error: (errors) => setStatus('error', errors[0]?.message ?? 'Subscription failed'),
    complete: () => setStatus('error', 'The server ended the subscription'),
  });
  $('#dashboard').hidden = false;
  $('#sign-in').hidden = true;
}

$('#sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  $('#sign-in-error').textContent = '';
  try {
    let token = form.token.value.trim();
    if (!token) {
      const query = `mutation($input: SignInInput!) { signIn(input: $input) { token } }`;
      token = (await gql(query, { input: { email: form.email.value, password: form.password.value } })).signIn.token;
    }
    await start(token);
  } catch (error) {
    $('#sign-in-error').textContent = error.message;
  }
});
