/**
 * The benchmark's four answers in hand-written SQL, shaped exactly like the GraphQL responses
 * (same fields, same order, same id, cursor and date formats), so the runner can compare them.
 */

export interface Tenant {
  workspaceId: string;
  userId: string;
  role: string;
}

/** Runs one statement on the request's connection (counted by the server). */
export type Sql = <R extends Record<string, unknown>>(text: string, values: unknown[]) => Promise<R[]>;

export class BareInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class BareNotFound extends Error {}

const PREFIXES = { Account: 'acc', Contact: 'con', Stage: 'stg', Deal: 'deal' } as const;
type IdType = keyof typeof PREFIXES;

const globalId = (type: IdType, uuid: string | null): string | null => (uuid ? `${PREFIXES[type]}_${uuid.replace(/-/g, '')}` : null);

function uuidOf(type: IdType, id: unknown, field: string): string {
  const match = typeof id === 'string' ? new RegExp(`^${PREFIXES[type]}_([0-9a-f]{32})$`).exec(id) : null;
  if (!match) throw new BareInputError(field, `must be a ${type} id`);
  const h = match[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The API's cursor for the default order (newest first, ties by id): the keys as PostgreSQL prints them. */
const newestFirstCursor = (createdAtText: string, id: string) =>
  Buffer.from(JSON.stringify(['CREATED_AT:DESC,id:DESC', [createdAtText, id]])).toString('base64url');

const contactName = (first: unknown, last: unknown) => [first, last].filter(Boolean).join(' ');

/**
 * (a) The newest 50 deals with account, primary contact and stage: one statement that takes the
 * page first and joins to it (joined directly, the planner misjudges the workspace filter that
 * row-level security repeats, and joins all 30k deals before sorting).
 */
export async function dealsPage(sql: Sql, tenant: Tenant, variables: { first: number }) {
  const rows = await sql(
    `SELECT d.id, d.name, d.amount, d.currency, d.status, d.expected_close_date::text AS close_date, d.created_at,
            d.created_at::text AS created_key,
            a.id AS account_id, a.name AS account_name,
            c.id AS contact_id, c.first_name, c.last_name, c.email,
            s.id AS stage_id, s.name AS stage_name, s.probability
       FROM (SELECT * FROM deals
              WHERE workspace_id = $1 AND deleted_at IS NULL
              ORDER BY created_at DESC, id DESC
              LIMIT $2) d
       LEFT JOIN accounts a ON a.workspace_id = d.workspace_id AND a.id = d.account_id
       LEFT JOIN contacts c ON c.workspace_id = d.workspace_id AND c.id = d.primary_contact_id
       JOIN stages s ON s.workspace_id = d.workspace_id AND s.id = d.stage_id
      ORDER BY d.created_at DESC, d.id DESC`,
    [tenant.workspaceId, variables.first + 1],
  );
  const page = rows.slice(0, variables.first);
  const edges = page.map((r) => ({
    cursor: newestFirstCursor(r.created_key as string, r.id as string),
    node: {
      id: globalId('Deal', r.id as string),
      name: r.name,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      expectedCloseDate: r.close_date,
      createdAt: r.created_at,
      account: r.account_id ? { id: globalId('Account', r.account_id as string), name: r.account_name } : null,
      primaryContact: r.contact_id
        ? { id: globalId('Contact', r.contact_id as string), name: contactName(r.first_name, r.last_name), email: r.email }
        : null,
      stage: { id: globalId('Stage', r.stage_id as string), name: r.stage_name, probability: r.probability },
    },
  }));
  return { deals: { edges, pageInfo: { hasNextPage: rows.length > page.length, endCursor: edges.at(-1)?.cursor ?? null } } };
}

/** (b) One account, its 20 newest contacts (with the total) and its open deals with their stages. */
export async function accountOverview(sql: Sql, tenant: Tenant, variables: { id: string }) {
  const accountId = uuidOf('Account', variables.id, 'id');
  const [account] = await sql(
    `SELECT id, name, domain, industry, city, country FROM accounts WHERE workspace_id = $1 AND id = $2`,
    [tenant.workspaceId, accountId],
  );
  if (!account) throw new BareNotFound('Account not found');
  const contacts = await sql(
    `SELECT id, first_name, last_name, email, job_title, phone, created_at, count(*) OVER () AS total
       FROM contacts
      WHERE workspace_id = $1 AND account_id = $2 AND deleted_at IS NULL
      ORDER BY created_at DESC, id DESC
      LIMIT 21`,
    [tenant.workspaceId, accountId],
  );
  const deals = await sql(
    `SELECT d.id, d.name, d.amount, d.currency, d.expected_close_date::text AS close_date, s.id AS stage_id, s.name AS stage_name
       FROM deals d JOIN stages s ON s.workspace_id = d.workspace_id AND s.id = d.stage_id
      WHERE d.workspace_id = $1 AND d.account_id = $2 AND d.status = 'OPEN' AND d.deleted_at IS NULL
      ORDER BY d.created_at DESC, d.id DESC
      LIMIT 50`,
    [tenant.workspaceId, accountId],
  );
  return {
    account: {
      id: globalId('Account', account.id as string),
      name: account.name,
      domain: account.domain,
      industry: account.industry,
      city: account.city,
      country: account.country,
      contacts: {
        totalCount: Number(contacts[0]?.total ?? 0),
        edges: contacts.slice(0, 20).map((c) => ({
          node: {
            id: globalId('Contact', c.id as string),
            name: contactName(c.first_name, c.last_name),
            email: c.email,
            jobTitle: c.job_title,
            phone: c.phone,
            createdAt: c.created_at,
          },
        })),
        pageInfo: { hasNextPage: contacts.length > 20 },
      },
      deals: {
        edges: deals.map((d) => ({
          node: {
            id: globalId('Deal', d.id as string),
            name: d.name,
            amount: d.amount,
            currency: d.currency,
            expectedCloseDate: d.close_date,
            stage: { id: globalId('Stage', d.stage_id as string), name: d.stage_name },
          },
        })),
      },
    },
  };
}

/**
 * (c) Contacts whose first name, last name or email starts with the search text (compared by
 * their sort keys, as the API does), newest first, with their account.
 */
export async function contactSearch(sql: Sql, tenant: Tenant, variables: { q: string }) {
  const startsWith = (key: string) => `(${key} >= crm_text_key($2) AND ${key} < crm_text_key($2) || chr(1114111))`;
  const rows = await sql(
    `SELECT c.id, c.first_name, c.last_name, c.email, c.job_title, a.id AS account_id, a.name AS account_name
       FROM (SELECT * FROM contacts
              WHERE workspace_id = $1 AND deleted_at IS NULL
                AND (${startsWith('first_name_key')} OR ${startsWith('last_name_key')} OR ${startsWith('email_key')})
              ORDER BY created_at DESC, id DESC
              LIMIT 21) c
       LEFT JOIN accounts a ON a.workspace_id = c.workspace_id AND a.id = c.account_id
      ORDER BY c.created_at DESC, c.id DESC`,
    [tenant.workspaceId, String(variables.q).trim()],
  );
  return {
    contacts: {
      edges: rows.slice(0, 20).map((c) => ({
        node: {
          id: globalId('Contact', c.id as string),
          name: contactName(c.first_name, c.last_name),
          email: c.email,
          jobTitle: c.job_title,
          account: c.account_id ? { id: globalId('Account', c.account_id as string), name: c.account_name } : null,
        },
      })),
      pageInfo: { hasNextPage: rows.length > 20 },
    },
  };
}

interface NewDeal {
  name: string;
  amount: string;
  accountId: string;
  expectedCloseDate?: string;
}

/**
 * (d) An open deal in the first open stage of the default pipeline, in the workspace's currency,
 * for a live account: one INSERT … SELECT that finds all of that (and share-locks the pipeline
 * against stage changes, as the API does), and writes the deal's `deal.created` outbox event (the
 * row as jsonb) in the same statement, as the API does.
 */
export async function createDeal(sql: Sql, tenant: Tenant, variables: { input: NewDeal }) {
  const input = variables.input;
  const name = String(input.name ?? '').trim();
  if (name.length < 1 || name.length > 200) throw new BareInputError('name', 'name must be 1 to 200 characters');
  if (!/^\d+(\.\d+)?$/.test(String(input.amount))) throw new BareInputError('amount', 'amount must not be negative');
  const accountId = uuidOf('Account', input.accountId, 'accountId');
  const [deal] = await sql(
    `WITH account AS (
       SELECT id, name FROM accounts WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL
     ), pipeline AS (
       SELECT id FROM pipelines WHERE workspace_id = $1 AND is_default AND deleted_at IS NULL FOR SHARE
     ), stage AS (
       SELECT s.id, s.name, s.pipeline_id FROM stages s JOIN pipeline p ON p.id = s.pipeline_id
        WHERE s.workspace_id = $1 AND s.kind = 'OPEN' AND s.deleted_at IS NULL
        ORDER BY s.position, s.created_at LIMIT 1
     ), inserted AS (
       INSERT INTO deals (workspace_id, name, amount, currency, pipeline_id, stage_id, status, expected_close_date, account_id)
       SELECT $1, $3, $4, w.default_currency, stage.pipeline_id, stage.id, 'OPEN', $5, account.id
         FROM account, stage, workspaces w WHERE w.id = $1
       RETURNING *
     ), event AS (
       INSERT INTO record_events (workspace_id, type, record_type, record_id, actor_user_id, after, changed)
       SELECT $1, 'deal.created', 'Deal', inserted.id, $6, to_jsonb(inserted) - 'workspace_id', '{}' FROM inserted
     )
     SELECT inserted.id, inserted.name, inserted.amount, inserted.currency, inserted.status, inserted.created_at, account.id AS account_id, account.name AS account_name, stage.id AS stage_id, stage.name AS stage_name
       FROM inserted, account, stage`,
    [tenant.workspaceId, accountId, name, input.amount, input.expectedCloseDate ?? null, tenant.userId],
  );
  // No row: the account is missing or trashed (a workspace always has a default pipeline with an open stage).
  if (!deal) throw new BareInputError('accountId', 'no Account with this id');
  return {
    createDeal: {
      id: globalId('Deal', deal.id as string),
      name: deal.name,
      amount: deal.amount,
      currency: deal.currency,
      status: deal.status,
      createdAt: deal.created_at,
      account: { id: globalId('Account', deal.account_id as string), name: deal.account_name },
      stage: { id: globalId('Stage', deal.stage_id as string), name: deal.stage_name },
    },
  };
}

export class BareForbidden extends Error {}

const DEAL_WRITERS = new Set(['ADMIN', 'MANAGER', 'SALES']);

/** The operations by GraphQL operation name, with the role check the API's `@Authorized` makes. */
export const OPERATIONS: Record<string, (sql: Sql, tenant: Tenant, variables: never) => Promise<unknown>> = {
  DealsPage: dealsPage,
  AccountOverview: accountOverview,
  ContactSearch: contactSearch,
  CreateDeal: (sql, tenant, variables) => {
    if (!DEAL_WRITERS.has(tenant.role)) throw new BareForbidden(`Role ${tenant.role} may not deals:write`);
    return createDeal(sql, tenant, variables);
  },
};
