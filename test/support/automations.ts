import { Client } from 'pg';
import { parseId } from '../../src/kernel/ids';
import type { Session, TestApp } from './test-app';
import { waitFor } from './wait';

export const uuid = (id: string) => parseId(id)!.uuid;

/** CALL_WEBHOOK's receiver is the webhooks' one. */
export { WebhookReceiver } from './webhook-receiver';

const AUTOMATION = `id name enabled version stopOnError trigger { type objectType watchedFields dateField offsetMinutes cron timeZone } condition actions { type continueOnError settings }`;
const RUN = `id status version trigger triggerEventId recordId depth reason attempts retries errorCode errorMessage actionResults { index type status output errorCode errorMessage } automation { id }`;

/** GraphQL helpers for one test file's app and admin. */
export function automationClient(t: TestApp, admin: Session) {
  const client = {
    AUTOMATION,
    RUN,
    create: (input: Record<string, unknown>, who: Session = admin) =>
      t.gql(`mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { ${AUTOMATION} } }`, { input }, who),
    async createOk(input: Record<string, unknown>): Promise<any> {
      return (await t.ok(`mutation($input: CreateAutomationInput!) { createAutomation(input: $input) { ${AUTOMATION} } }`, { input }, admin)).createAutomation;
    },
    async runs(automationId: string, status?: string): Promise<any[]> {
      const data = await t.ok(`query($id: ID, $status: AutomationRunStatus) { automationRuns(automationId: $id, status: $status, first: 200) { edges { node { ${RUN} } } } }`, { id: automationId, status }, admin);
      return data.automationRuns.edges.map((edge: any) => edge.node);
    },
    /** Waits until the automation has a run for the record in one of `statuses`. */
    runFor: (automationId: string, recordId: string, statuses = ['SUCCEEDED', 'FAILED', 'PARTIALLY_FAILED', 'SKIPPED']) =>
      waitFor(`a ${statuses.join('/')} run of ${automationId} for ${recordId}`, async () =>
        (await client.runs(automationId)).find((run) => run.recordId === recordId && statuses.includes(run.status)),
      ),
    async createDeal(name: string, extra: Record<string, unknown> = {}): Promise<any> {
      const data = await t.ok(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id name amount tags version ownerId: owner { id } } }`, { input: { name, ownerId: admin.userId, ...extra } }, admin);
      return data.createDeal;
    },
    async deal(id: string): Promise<any> {
      return (await t.ok(`query($id: ID!) { deal(id: $id) { id name amount tags version activities(first: 50) { edges { node { type subject dueAt owner { id } } } } } }`, { id }, admin)).deal;
    },
    updateDeal: (id: string, input: Record<string, unknown>) => t.ok(`mutation($id: ID!, $input: DealInput!) { updateDeal(id: $id, input: $input) { id version } }`, { id, input }, admin),
  };
  return client;
}

/** Waits until the automation trigger handler has consumed every event of the record so far. */
export function triggersHandled(superuser: Client, recordId: string): Promise<true> {
  return waitFor(`the automation triggers of ${recordId}'s events`, async () => {
    const { rows } = await superuser.query(
      `SELECT count(*)::int AS open FROM record_events e
       WHERE e.record_id = $1 AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = e.id AND p.handler = 'automation-triggers')`,
      [uuid(recordId)],
    );
    return rows[0].open === 0 ? true : undefined;
  });
}
