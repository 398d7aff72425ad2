import { ID_PREFIXES, type NodeType } from '../ids';
import { forbidden } from '../errors';
import type { ApiKeyActor } from '../context';

/** Reads everything an API key can read, workspace setup included (and every per-object read scope). */
export const READ_ALL = 'crm:read';

/** Per-object read scopes; `x:write` implies `x:read` (a writer may read what it writes). */
export const OBJECT_READ_SCOPES = {
  'accounts:read': 'accounts:write',
  'contacts:read': 'contacts:write',
  'deals:read': 'deals:write',
  'tickets:read': 'tickets:write',
  'activities:read': 'activities:write',
  'products:read': 'products:write',
  'orders:read': 'orders:write',
} as const;

export type ObjectReadScope = keyof typeof OBJECT_READ_SCOPES;

/** Types holding no record data: anyone who may call the field reads them. */
export const OPEN = 'open';
/** A record event: readable when the record type it is about is (`recordType`). */
export const BY_RECORD_TYPE = 'by-record-type';

type ReadRule = ObjectReadScope | typeof READ_ALL | typeof OPEN | typeof BY_RECORD_TYPE;

/**
 * What an API key needs to read each GraphQL object type, by type name; the one table the read
 * guard (read-guard.ts), the change feed and the event log consult. Connections and edges take
 * their node's rule. A type missing here is refused to API keys (fails closed): a new type
 * declares its rule here, and test/api-key-read-scopes.test.ts checks every type has one.
 * Workspace setup (members, teams, routing, SLA, automations, keys) needs `crm:read`.
 */
export const READ_RULE_OF_TYPE: Readonly<Record<string, ReadRule>> = {
  Account: 'accounts:read',
  Contact: 'contacts:read',
  Deal: 'deals:read',
  DealContact: 'deals:read',
  Pipeline: 'deals:read',
  Stage: 'deals:read',
  Ticket: 'tickets:read',
  TicketSla: 'tickets:read',
  SlaTargetState: 'tickets:read',
  Activity: 'activities:read',
  Product: 'products:read',
  Order: 'orders:read',
  OrderLine: 'orders:read',
  RecordEvent: BY_RECORD_TYPE,
  Member: READ_ALL,
  MemberAvailability: READ_ALL,
  Team: READ_ALL,
  TeamMember: READ_ALL,
  Territory: READ_ALL,
  RoutingRule: READ_ALL,
  RoutingDecision: READ_ALL,
  RoutingCandidate: READ_ALL,
  BusinessCalendar: READ_ALL,
  OpeningInterval: READ_ALL,
  SlaPolicy: READ_ALL,
  ExchangeRate: READ_ALL,
  Automation: READ_ALL,
  AutomationAction: READ_ALL,
  AutomationActionPreview: READ_ALL,
  AutomationActionResult: READ_ALL,
  AutomationDryRun: READ_ALL,
  AutomationRun: READ_ALL,
  AutomationTrigger: READ_ALL,
  AutomationVersion: READ_ALL,
  ApiKey: READ_ALL,
  CreatedApiKey: READ_ALL,
  Notification: READ_ALL,
  Workspace: READ_ALL,
  // Guarded by webhooks:manage on every field that returns them; whoever holds it may have any record delivered anyway.
  Webhook: OPEN,
  WebhookWithSecret: OPEN,
  WebhookDelivery: OPEN,
  WebhookDeliveryAttempt: OPEN,
  // Report figures hold no record: every field returning them needs reports:read.
  DealAggregate: OPEN,
  DealAggregateGroup: OPEN,
  TicketAggregate: OPEN,
  TicketAggregateGroup: OPEN,
  ActivityAggregate: OPEN,
  ActivityAggregateGroup: OPEN,
  OrderAggregate: OPEN,
  OrderAggregateGroup: OPEN,
  AggregateKey: OPEN,
  DashboardUpdate: OPEN,
  // Upsert results only wrap the record, which its own rule guards (a writer may read what it writes).
  ExternalRef: OPEN,
  AccountUpsertResult: OPEN,
  AccountBulkUpsertResult: OPEN,
  AccountUpsertItem: OPEN,
  ContactUpsertResult: OPEN,
  ContactBulkUpsertResult: OPEN,
  ContactUpsertItem: OPEN,
  DealUpsertResult: OPEN,
  DealBulkUpsertResult: OPEN,
  DealUpsertItem: OPEN,
  TicketUpsertResult: OPEN,
  TicketBulkUpsertResult: OPEN,
  TicketUpsertItem: OPEN,
  ProductUpsertResult: OPEN,
  ProductBulkUpsertResult: OPEN,
  ProductUpsertItem: OPEN,
  OrderUpsertResult: OPEN,
  OrderBulkUpsertResult: OPEN,
  OrderUpsertItem: OPEN,
  UpsertItemError: OPEN,
  UpsertFieldProblem: OPEN,
  FieldOwner: READ_ALL,
  // An import's progress and its lines' errors: what an uploader sent, not records of the CRM.
  ImportJob: OPEN,
  ImportError: OPEN,
  ImportErrorField: OPEN,
  // Reports: guarded by reports:read on every field that returns them; the forecast shows a caller only the figures they may see.
  CurrencyAmount: OPEN,
  Forecast: OPEN,
  ForecastRow: OPEN,
  ForecastFigures: OPEN,
  ForecastSnapshot: OPEN,
  ForecastHistory: OPEN,
  Quota: OPEN,
  // Sales reports (funnel, velocity, activity metrics): figures guarded by reports:read on the query; stages and owners are named inside.
  DealFunnel: OPEN,
  FunnelGroup: OPEN,
  FunnelStage: OPEN,
  DealVelocity: OPEN,
  VelocityGroup: OPEN,
  ActivityMetrics: OPEN,
  MemberActivity: OPEN,
  ActivityWeek: OPEN,
  ActivityCounts: OPEN,
  // People named on records (owners, actors).
  User: OPEN,
  AuthPayload: OPEN,
  PageInfo: OPEN,
};

/** Read scopes by a key's scope list: the read guard asks for every field of every row, so each key's set is built once. */
const readScopesByScopes = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The read scopes a key holds: `crm:read` stands for all of them, `x:write` adds `x:read`. */
export function readScopesOf(scopes: readonly string[]): ReadonlySet<string> {
  let reads = readScopesByScopes.get(scopes);
  if (!reads) readScopesByScopes.set(scopes, (reads = expandReadScopes(scopes)));
  return reads;
}

function expandReadScopes(scopes: readonly string[]): ReadonlySet<string> {
  const all = Object.keys(OBJECT_READ_SCOPES) as ObjectReadScope[];
  if (scopes.includes(READ_ALL)) return new Set([READ_ALL, ...all]);
  return new Set(all.filter((read) => scopes.includes(read) || scopes.includes(OBJECT_READ_SCOPES[read])));
}

/** The scope a key lacks to read a `typeName` value (`recordType` for events); null when it may. */
export function missingReadScope(apiKey: ApiKeyActor, typeName: string, recordType?: string): string | null {
  const rule = READ_RULE_OF_TYPE[typeName];
  if (rule === BY_RECORD_TYPE) return recordType ? missingReadScope(apiKey, recordType) : READ_ALL;
  if (rule === OPEN) return null;
  // Not declared: no scope can grant it (fails closed).
  if (rule === undefined) return `(none declared for ${typeName})`;
  return readScopesOf(apiKey.scopes).has(rule) ? null : rule;
}

/** FORBIDDEN naming the missing scope, e.g. "API key lacks scope accounts:read"; `where` says which argument asked. */
export function lacksScope(scope: string, where?: string): Error {
  return forbidden(`API key lacks scope ${scope}${where ? ` (${where})` : ''}`);
}

/** The record types whose events the context may see: null for people and the system (all of them). */
export function readableRecordTypes(apiKey: ApiKeyActor | null): NodeType[] | null {
  if (!apiKey) return null;
  return (Object.keys(ID_PREFIXES) as NodeType[]).filter((type) => missingReadScope(apiKey, type) === null);
}
