import { checkTicketSla, scheduleSlaChecks as schedule, SLA_CHECK_EVENTS, sweepSla } from '../src/modules/sla';
import type { JobHandler } from './jobs';
import type { EventHandler } from './record-events';

/** Ticket events schedule the SLA checks (the rules: modules/sla/sla-checks.ts). */
export const scheduleSlaChecks: EventHandler = {
  name: 'ticket-sla',
  types: SLA_CHECK_EVENTS,
  async run(ctx, em, event) {
    const queue = ctx.runtime.producers?.sla;
    if (!queue) throw new Error('ticket-sla needs the sla queue (worker process only)');
    await schedule(em, event, queue);
  },
};

export const runSlaCheck: JobHandler<'sla', 'sla-check'> = async (job, runtime) => {
  const escalations = await checkTicketSla(runtime, job.data.workspaceId, job.data.ticketId, new Date());
  return { escalations: escalations.map(({ target, level }) => `${target}:${level}`) };
};

export const runSlaSweep: JobHandler<'sla', 'sla-sweep'> = async (_job, runtime) => {
  const result = await sweepSla(runtime, new Date());
  if (result.checked > 0) runtime.logger.info(result, 'SLA sweep');
  return result;
};
