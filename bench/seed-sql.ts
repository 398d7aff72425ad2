import * as words from './seed-words';

/**
 * Set-based INSERT … SELECT statements over `generate_series($1, $2) g`, one per table. Every
 * value is a pure function of the row number g, so a batch needs no lookups: ids are
 * md5(workspace, table, n), and a row finds the n of what it references with the same formula.
 */

export interface SeedCounts {
  accounts: number;
  contacts: number;
  deals: number;
  tickets: number;
  activities: number;
}

/** What signUp and the member invitations created, which the generated rows point at. */
export interface SeedScope {
  workspaceId: string;
  ownerIds: string[];
  pipelineId: string;
  openStageIds: string[];
  wonStageId: string;
  lostStageId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function uuidLiteral(value: string): string {
  if (!UUID.test(value)) throw new Error(`not a uuid: ${value}`);
  return `'${value}'::uuid`;
}

const uuidArray = (values: string[]) => `ARRAY[${values.map(uuidLiteral).join(', ')}]`;
const text = (value: string) => `'${value.replace(/'/g, "''")}'`;
const textArray = (values: readonly string[]) => `ARRAY[${values.map(text).join(', ')}]::text[]`;

/** A deterministic pseudo-random integer in [0, n) for row g; `salt` makes draws independent. */
const rnd = (g: string, salt: number, n: number) => `((hashint8extended(${g}, ${salt}) & 9223372036854775807) % ${Math.max(n, 1)})`;
const pick = (values: readonly string[], index: string) => `(${textArray(values)})[(1 + ${index})::int]`;
const seconds = (expr: string) => `(${expr}) * interval '1 second'`;
const TWO_YEARS = 2 * 365 * 24 * 3600;
/** Letters of the seed's names as plain ASCII for email addresses; spaces, apostrophes and hyphens dropped. */
const ASCII_LETTERS = [...'äaöoüußsáaàaâaãaåaçcćcčcđdéeèeêeëeğgíiìiîiïiılłlñnńnóoòoôoõoøośsšsşsúuùuûuýyźzżzžz'].reduce<[string, string]>(
  ([from, to], c, i) => (i % 2 ? [from, to + c] : [from + c, to]),
  ['', ''],
);
const ascii = (expr: string) => `translate(lower(${expr}), '${ASCII_LETTERS[0]} ''-', '${ASCII_LETTERS[1]}')`;

/** How rows relate: contacts of account a are a, a + A, a + 2A, … (90% of contacts have an account). */
export class SeedShape {
  readonly contactsWithAccount: number;
  /** Contacts per account. */
  readonly slots: number;

  constructor(
    readonly scope: SeedScope,
    readonly counts: SeedCounts,
  ) {
    this.contactsWithAccount = Math.floor(counts.contacts * 0.9);
    this.slots = Math.floor(this.contactsWithAccount / counts.accounts);
  }

  id(table: string, n: string): string {
    return `md5('${this.scope.workspaceId}:${table}:' || (${n}))::uuid`;
  }

  /** The k-th contact of account a (k < slots), or NULL when accounts have no contacts. */
  contactOf(account: string, slot: string): string {
    return this.slots > 0 ? this.id('contact', `${account} + ${this.counts.accounts} * ${slot}`) : 'NULL::uuid';
  }

  /** Which account deal d belongs to, and which of that account's contacts is its primary one. */
  dealAccount = (d: string) => `(1 + ${rnd(d, 11, this.counts.accounts)})`;
  dealSlot = (d: string) => rnd(d, 12, this.slots);

  owner(g: string, salt: number): string {
    return `(${uuidArray(this.scope.ownerIds)})[(1 + ${rnd(g, salt, this.scope.ownerIds.length)})::int]`;
  }

  /** A created_at within the last two years. */
  createdAt(g: string, salt: number): string {
    return `now() - ${seconds(rnd(g, salt, TWO_YEARS))} AS created_at`;
  }
}

const series = 'generate_series($1::bigint, $2::bigint) g';

export function accountsSql(shape: SeedShape): string {
  const ws = uuidLiteral(shape.scope.workspaceId);
  return `
    INSERT INTO accounts (id, workspace_id, name, domain, industry, website, phone, street, postal_code, city, country,
      employee_count, annual_revenue, owner_id, created_at, updated_at)
    SELECT id, ${ws}, family || ' ' || suffix || ' ' || form, domain, industry, 'https://www.' || domain,
      (${textArray(words.CITIES.map((c) => c[3]))})[city_i] || ' ' || (100000 + ${rnd('g', 7, 900000)}),
      ${pick(words.STREETS, rnd('g', 8, words.STREETS.length))} || ' ' || (1 + ${rnd('g', 9, 120)}),
      (${textArray(words.CITIES.map((c) => c[1]))})[city_i], (${textArray(words.CITIES.map((c) => c[0]))})[city_i],
      (${textArray(words.CITIES.map((c) => c[2]))})[city_i],
      5 + ${rnd('g', 10, 5000)}, round((100000 + ${rnd('g', 11, 5_000_000_000)}) / 100.0, 2),
      ${shape.owner('g', 12)}, created_at, LEAST(created_at + ${seconds(rnd('g', 13, 90 * 86400))}, now())
    FROM (
      SELECT g, ${shape.id('account', 'g')} AS id,
        ${pick(words.LAST_NAMES, rnd('g', 1, words.LAST_NAMES.length))} AS family,
        ${pick(words.COMPANY_SUFFIXES, rnd('g', 2, words.COMPANY_SUFFIXES.length))} AS suffix,
        ${pick(words.LEGAL_FORMS, rnd('g', 3, words.LEGAL_FORMS.length))} AS form,
        ${pick(words.INDUSTRIES, rnd('g', 4, words.INDUSTRIES.length))} AS industry,
        (1 + ${rnd('g', 5, words.CITIES.length)})::int AS city_i,
        ${shape.createdAt('g', 6)}
      FROM ${series}
    ) s
    CROSS JOIN LATERAL (SELECT ${ascii('family || suffix')} || g || '.example' AS domain) d`;
}

export function contactsSql(shape: SeedShape): string {
  const ws = uuidLiteral(shape.scope.workspaceId);
  const { accounts } = shape.counts;
  return `
    INSERT INTO contacts (id, workspace_id, first_name, last_name, email, phone, job_title, city, country, account_id,
      owner_id, created_at, updated_at)
    SELECT ${shape.id('contact', 'g')}, ${ws}, given, family,
      ${ascii("given || '.' || family")} || '.' || g || '@' || ${pick(words.MAIL_DOMAINS, rnd('g', 3, words.MAIL_DOMAINS.length))},
      (${textArray(words.CITIES.map((c) => c[3]))})[city_i] || ' ' || (1000000 + ${rnd('g', 4, 9000000)}),
      ${pick(words.JOB_TITLES, rnd('g', 5, words.JOB_TITLES.length))},
      (${textArray(words.CITIES.map((c) => c[0]))})[city_i], (${textArray(words.CITIES.map((c) => c[2]))})[city_i],
      CASE WHEN g <= ${shape.contactsWithAccount} THEN ${shape.id('account', `((g - 1) % ${accounts}) + 1`)} END,
      ${shape.owner('g', 6)}, created_at, LEAST(created_at + ${seconds(rnd('g', 7, 180 * 86400))}, now())
    FROM (
      SELECT g,
        ${pick(words.FIRST_NAMES, rnd('g', 1, words.FIRST_NAMES.length))} AS given,
        CASE WHEN ${rnd('g', 10, 5)} = 0 THEN ${pick(words.RARE_LAST_NAMES, rnd('g', 11, words.RARE_LAST_NAMES.length))}
          ELSE ${pick(words.LAST_NAMES, rnd('g', 2, words.LAST_NAMES.length))} END AS family,
        (1 + ${rnd('g', 8, words.CITIES.length)})::int AS city_i,
        ${shape.createdAt('g', 9)}
      FROM ${series}
    ) s`;
}

/** 70% open (spread over the open stages), 18% won, 12% lost. */
export function dealsSql(shape: SeedShape): string {
  const { scope } = shape;
  const ws = uuidLiteral(scope.workspaceId);
  const open = uuidArray(scope.openStageIds);
  return `
    INSERT INTO deals (id, workspace_id, name, amount, currency, pipeline_id, stage_id, status, expected_close_date,
      closed_at, lost_reason, account_id, primary_contact_id, owner_id, created_at, updated_at)
    SELECT s.id, ${ws}, product || ' – ' || a.name, round((50000 + ${rnd('g', 2, 50_000_000)}) / 100.0, 2),
      ${pick(words.CURRENCIES, rnd('g', 3, words.CURRENCIES.length))}, ${uuidLiteral(scope.pipelineId)},
      CASE status WHEN 'WON' THEN ${uuidLiteral(scope.wonStageId)} WHEN 'LOST' THEN ${uuidLiteral(scope.lostStageId)}
        ELSE (${open})[(1 + ${rnd('g', 4, scope.openStageIds.length)})::int] END,
      status, (s.created_at + (30 + ${rnd('g', 5, 240)}) * interval '1 day')::date,
      CASE WHEN status <> 'OPEN' THEN LEAST(s.created_at + ${seconds(rnd('g', 6, 120 * 86400))}, now()) END,
      CASE WHEN status = 'LOST' THEN ${pick(words.LOST_REASONS, rnd('g', 7, words.LOST_REASONS.length))} END,
      a.id, ${shape.contactOf('s.account_n', shape.dealSlot('g'))}, ${shape.owner('g', 8)},
      s.created_at, LEAST(s.created_at + ${seconds(rnd('g', 9, 60 * 86400))}, now())
    FROM (
      SELECT g, ${shape.id('deal', 'g')} AS id, ${shape.dealAccount('g')} AS account_n,
        ${pick(words.PRODUCTS, rnd('g', 1, words.PRODUCTS.length))} AS product,
        CASE WHEN ${rnd('g', 10, 100)} < 70 THEN 'OPEN' WHEN ${rnd('g', 10, 100)} < 88 THEN 'WON' ELSE 'LOST' END AS status,
        ${shape.createdAt('g', 13)}
      FROM ${series}
    ) s
    JOIN accounts a ON a.workspace_id = ${ws} AND a.id = ${shape.id('account', 's.account_n')}`;
}

/** Every deal's primary contact is its decision maker; where the account has more contacts, a second one joins. */
export function dealContactsSql(shape: SeedShape): string {
  const ws = uuidLiteral(shape.scope.workspaceId);
  const second = `(${shape.dealSlot('g')} + 1) % ${shape.slots}`;
  const roles = ['ECONOMIC_BUYER', 'INFLUENCER', 'CHAMPION', 'USER', 'OTHER'];
  return `
    INSERT INTO deal_contacts (workspace_id, deal_id, contact_id, role, created_at)
    SELECT ${ws}, ${shape.id('deal', 'g')}, ${shape.contactOf(shape.dealAccount('g'), shape.dealSlot('g'))}, 'DECISION_MAKER', now()
    FROM ${series} WHERE ${shape.slots} > 0
    UNION ALL
    SELECT ${ws}, ${shape.id('deal', 'g')}, ${shape.contactOf(shape.dealAccount('g'), second)},
      ${pick(roles, rnd('g', 20, roles.length))}, now()
    FROM ${series} WHERE ${shape.slots} > 1`;
}

export function ticketsSql(shape: SeedShape): string {
  const ws = uuidLiteral(shape.scope.workspaceId);
  const statuses = ['NEW', 'OPEN', 'OPEN', 'PENDING', 'RESOLVED', 'RESOLVED', 'CLOSED', 'CLOSED', 'CLOSED', 'CLOSED'];
  return `
    INSERT INTO tickets (id, workspace_id, subject, description, status, priority, category, account_id, contact_id,
      assignee_id, first_response_at, resolved_at, closed_at, created_at, updated_at)
    SELECT ${shape.id('ticket', 'g')}, ${ws}, subject, 'Kunde meldet: ' || subject || '. Bitte prüfen.', status,
      ${pick(['LOW', 'NORMAL', 'NORMAL', 'NORMAL', 'HIGH', 'URGENT'], rnd('g', 3, 6))},
      ${pick(['QUESTION', 'PROBLEM', 'COMPLAINT', 'REQUEST'], rnd('g', 4, 4))},
      ${shape.id('account', 'account_n')}, ${shape.contactOf('account_n', rnd('g', 5, shape.slots))}, ${shape.owner('g', 6)},
      CASE WHEN status <> 'NEW' THEN created_at + ${seconds(`60 + ${rnd('g', 7, 2 * 86400)}`)} END,
      CASE WHEN status IN ('RESOLVED', 'CLOSED') THEN created_at + ${seconds(`3 * 86400 + ${rnd('g', 8, 86400)}`)} END,
      CASE WHEN status = 'CLOSED' THEN created_at + ${seconds(`5 * 86400 + ${rnd('g', 9, 86400)}`)} END,
      created_at, LEAST(created_at + interval '6 days', now())
    FROM (
      SELECT g, (1 + ${rnd('g', 1, shape.counts.accounts)}) AS account_n,
        ${pick(words.TICKET_SUBJECTS, rnd('g', 2, words.TICKET_SUBJECTS.length))} AS subject,
        ${pick(statuses, rnd('g', 10, statuses.length))} AS status,
        ${shape.createdAt('g', 11)}
      FROM ${series}
    ) s`;
}

/** Activities belong to a deal's account and contact; 40% also name the deal. Tasks have a due time. */
export function activitiesSql(shape: SeedShape): string {
  const ws = uuidLiteral(shape.scope.workspaceId);
  const types = ['CALL', 'CALL', 'MEETING', 'EMAIL', 'EMAIL', 'NOTE', 'TASK', 'TASK'];
  return `
    INSERT INTO activities (id, workspace_id, type, subject, body, occurred_at, duration_minutes, due_at, completed_at,
      account_id, contact_id, deal_id, owner_id, created_at, updated_at)
    SELECT ${shape.id('activity', 'g')}, ${ws}, type, subject, 'Notiz: ' || subject,
      CASE WHEN type <> 'TASK' THEN created_at END,
      CASE WHEN type IN ('CALL', 'MEETING') THEN 5 + ${rnd('g', 3, 90)} END,
      CASE WHEN type = 'TASK' THEN created_at + (1 + ${rnd('g', 4, 14)}) * interval '1 day' END,
      CASE WHEN type = 'TASK' AND ${rnd('g', 5, 10)} < 6 THEN created_at + ${seconds(rnd('g', 6, 7 * 86400))} END,
      ${shape.id('account', shape.dealAccount('deal_n'))}, ${shape.contactOf(shape.dealAccount('deal_n'), shape.dealSlot('deal_n'))},
      CASE WHEN ${rnd('g', 7, 10)} < 4 THEN ${shape.id('deal', 'deal_n')} END,
      ${shape.owner('g', 8)}, created_at, created_at
    FROM (
      SELECT g, (1 + ${rnd('g', 1, shape.counts.deals)}) AS deal_n,
        ${pick(types, rnd('g', 2, types.length))} AS type,
        ${pick(words.ACTIVITY_SUBJECTS, rnd('g', 9, words.ACTIVITY_SUBJECTS.length))} AS subject,
        ${shape.createdAt('g', 10)}
      FROM ${series}
    ) s`;
}
