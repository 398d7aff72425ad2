import { Client } from 'pg';
import { parseId } from '../src/kernel/ids';
import type { ReceivedDelivery } from '../test/support/webhook-receiver';

/**
 * What the fault benchmark checks on the rows after the load: every committed deal event was
 * delivered to its workspace's webhook once, and every deal.created event ran the workspace's
 * automation once, whose effects are a tag on the deal and one note on it.
 */

export const AUTOMATION_TAG = 'fault-bench';
export const AUTOMATION_NOTE = 'Fault bench note';

/** A receipt at the bench's webhook receiver. */
export interface Receipt {
  eventId: string;
  path: string;
  occurredMs: number;
  receivedMs: number;
  verified: boolean;
}

export function receiptOf(delivery: ReceivedDelivery): Receipt {
  return {
    eventId: parseId(String(delivery.headers['webhook-id']))?.uuid ?? 'unknown',
    path: delivery.path,
    occurredMs: Date.parse(delivery.body?.occurredAt),
    receivedMs: delivery.receivedAt,
    verified: delivery.verified,
  };
}

export interface Tally {
  dealEvents: number;
  createdEvents: number;
  /** Events not yet relayed: no sequence number, or above the relay's position. */
  unrelayed: number;
  webhook: {
    noDeliveryRow: number;
    rowsByStatus: Record<string, number>;
    notReceived: number;
    /** Events received more than once, and the receipts beyond the first. */
    receivedTwice: number;
    extraReceipts: number;
    unverified: number;
    /** Events the `webhook-fanout` handler never claimed in the ledger. */
    fanoutNeverRan: number;
  };
  automation: {
    noRun: number;
    runsByStatus: Record<string, number>;
    noNote: number;
    /** Deals with more than one note: the run's effect happened twice. */
    twoNotes: number;
    noTag: number;
    triggersNeverRan: number;
  };
  /** Events with an effect missing, and events with an effect twice. */
  lost: number;
  duplicated: number;
  /** When each lost and each duplicated event was committed (epoch ms), to tell which fault it met. */
  lostAt: number[];
  duplicatedAt: number[];
  /** Nothing is left to happen: every effect is there and no row is still on its way. */
  settled: boolean;
}

const count = (values: Iterable<string>) => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

/** Reads every deal event and its effects (as a superuser: all workspaces, no row-level security). */
export async function tallyEffects(db: Client, receipts: Receipt[]): Promise<Tally> {
  // One snapshot, so the counts agree with each other while the pipeline is still moving.
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const events = await db.query<{ id: string; type: string; record_id: string; occurred_ms: number }>(
      `SELECT id, type, record_id, (extract(epoch FROM occurred_at) * 1000)::float8 AS occurred_ms FROM record_events WHERE type LIKE 'deal.%'`,
    );
    const deliveries = await db.query<{ event_id: string; status: string }>(`SELECT event_id, status FROM webhook_deliveries`);
    const runs = await db.query<{ trigger_event_id: string; status: string }>(`SELECT trigger_event_id, status FROM automation_runs WHERE trigger_event_id IS NOT NULL`);
    const notes = await db.query<{ deal_id: string; n: number }>(
      `SELECT deal_id, count(*)::int AS n FROM activities WHERE type = 'NOTE' AND subject = $1 GROUP BY deal_id`,
      [AUTOMATION_NOTE],
    );
    const tagged = await db.query<{ id: string }>(`SELECT id FROM deals WHERE $1 = ANY(tags)`, [AUTOMATION_TAG]);
    const ledger = await db.query<{ handler: string; event_id: string }>(
      `SELECT handler, event_id FROM processed_events WHERE handler IN ('webhook-fanout', 'automation-triggers')`,
    );
    const unrelayed = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM record_events WHERE seq IS NULL OR seq > (SELECT coalesce(min(last_seq), 0) FROM event_relay_positions)`,
    );
    return tally(receipts, {
      events: events.rows,
      deliveries: deliveries.rows,
      runs: runs.rows,
      notes: notes.rows,
      tagged: tagged.rows,
      ledger: ledger.rows,
      unrelayed: unrelayed.rows[0].n,
    });
  } finally {
    await db.query('COMMIT');
  }
}

interface Rows {
  events: Array<{ id: string; type: string; record_id: string; occurred_ms: number }>;
  deliveries: Array<{ event_id: string; status: string }>;
  runs: Array<{ trigger_event_id: string; status: string }>;
  notes: Array<{ deal_id: string; n: number }>;
  tagged: Array<{ id: string }>;
  ledger: Array<{ handler: string; event_id: string }>;
  unrelayed: number;
}

function tally(receipts: Receipt[], { events, deliveries, runs, notes, tagged, ledger, unrelayed }: Rows): Tally {
  const deliveryStatus = new Map(deliveries.map((row) => [row.event_id, row.status]));
  const runStatus = new Map(runs.map((row) => [row.trigger_event_id, row.status]));
  const notesPerDeal = new Map(notes.map((row) => [row.deal_id, row.n]));
  const tags = new Set(tagged.map((row) => row.id));
  const claimed = new Set(ledger.map((row) => `${row.handler} ${row.event_id}`));
  const received = new Map<string, number>();
  for (const receipt of receipts) received.set(receipt.eventId, (received.get(receipt.eventId) ?? 0) + 1);

  const tally: Tally = {
    dealEvents: events.length,
    createdEvents: 0,
    unrelayed,
    webhook: {
      noDeliveryRow: 0,
      rowsByStatus: count(deliveryStatus.values()),
      notReceived: 0,
      receivedTwice: 0,
      extraReceipts: 0,
      unverified: receipts.filter((receipt) => !receipt.verified).length,
      fanoutNeverRan: 0,
    },
    automation: { noRun: 0, runsByStatus: count(runStatus.values()), noNote: 0, twoNotes: 0, noTag: 0, triggersNeverRan: 0 },
    lost: 0,
    duplicated: 0,
    lostAt: [],
    duplicatedAt: [],
    settled: false,
  };
  const { webhook, automation } = tally;
  for (const event of events) {
    const times = received.get(event.id) ?? 0;
    let lost = times === 0;
    let twice = times > 1;
    if (!deliveryStatus.has(event.id)) webhook.noDeliveryRow++;
    if (!claimed.has(`webhook-fanout ${event.id}`)) webhook.fanoutNeverRan++;
    if (times === 0) webhook.notReceived++;
    if (times > 1) {
      webhook.receivedTwice++;
      webhook.extraReceipts += times - 1;
    }
    if (event.type === 'deal.created') {
      tally.createdEvents++;
      const notesMade = notesPerDeal.get(event.record_id) ?? 0;
      if (!runStatus.has(event.id)) automation.noRun++;
      if (!claimed.has(`automation-triggers ${event.id}`)) automation.triggersNeverRan++;
      if (notesMade === 0) automation.noNote++;
      if (notesMade > 1) automation.twoNotes++;
      if (!tags.has(event.record_id)) automation.noTag++;
      lost ||= notesMade === 0 || !tags.has(event.record_id);
      twice ||= notesMade > 1;
    }
    if (lost) tally.lostAt.push(event.occurred_ms);
    if (twice) tally.duplicatedAt.push(event.occurred_ms);
  }
  tally.lost = tally.lostAt.length;
  tally.duplicated = tally.duplicatedAt.length;
  const open = (byStatus: Record<string, number>, final: string[]) => Object.entries(byStatus).some(([status, n]) => n > 0 && !final.includes(status));
  tally.settled =
    tally.lost === 0 && tally.unrelayed === 0 && !open(webhook.rowsByStatus, ['SUCCEEDED', 'DEAD']) && !open(automation.runsByStatus, ['SUCCEEDED', 'FAILED', 'PARTIALLY_FAILED', 'SKIPPED']);
  return tally;
}

/** Progress of the drain in a few numbers: effects still missing and rows still on their way. */
export function progressOf(tally: Tally): string {
  const open = (byStatus: Record<string, number>, statuses: string[]) => statuses.reduce((sum, status) => sum + (byStatus[status] ?? 0), 0);
  return [
    `${tally.dealEvents} deal events (${tally.unrelayed} events not relayed)`,
    `not received ${tally.webhook.notReceived}`,
    `deliveries open ${open(tally.webhook.rowsByStatus, ['PENDING', 'FAILED'])}`,
    `runs open ${open(tally.automation.runsByStatus, ['QUEUED', 'RUNNING'])}`,
    `created deals without note ${tally.automation.noNote}`,
  ].join(', ');
}
