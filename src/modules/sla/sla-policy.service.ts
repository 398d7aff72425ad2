import { IsNull, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { appError } from '../../kernel/errors';
import { registerNodeType } from '../../kernel/node-registry';
import { RecordStore } from '../../kernel/records/record-store';
import { recordPort } from '../../kernel/records/record-port';
import type { TicketPriority } from '../tickets';
import { calendars } from './business-calendar.service';
import type { CreateSlaPolicyInput, SlaPolicyInput } from './sla.inputs';
import { slaPolicyModel } from './sla.model';
import { SlaPolicy } from './sla-policy.entity';

export const slaPolicies = new RecordStore(slaPolicyModel);

const PRIORITY_ORDER: Record<TicketPriority, number> = { URGENT: 0, HIGH: 1, NORMAL: 2, LOW: 3 };

/** The live policy of a priority, if any. */
export function policyOfPriority(ctx: RequestContext, em: EntityManager, priority: TicketPriority): Promise<SlaPolicy | null> {
  return em.getRepository(SlaPolicy).findOneBy({ workspaceId: ctx.workspaceId, priority, deletedAt: IsNull() });
}

async function refuseTakenPriority(ctx: RequestContext, em: EntityManager, priority: TicketPriority | undefined, ownId?: string): Promise<void> {
  if (!priority) return;
  const holder = await policyOfPriority(ctx, em, priority);
  if (holder && holder.id !== ownId) {
    throw appError('CONFLICT', `There is an SLA policy for ${priority} already`, { fields: [{ field: 'priority', message: 'has a policy already' }] });
  }
}

async function toColumns(ctx: RequestContext, input: SlaPolicyInput): Promise<Partial<SlaPolicy>> {
  const { calendarId, ...fields } = input;
  return { ...fields, calendarId: await calendars.reference(ctx, calendarId, 'calendarId') };
}

/**
 * SLA policies change the due times of tickets created (or re-prioritised) afterwards; tickets
 * already running keep theirs.
 */
export const slaPolicyService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(slaPolicies),

  load: (ctx: RequestContext, id: string | null | undefined) => slaPolicies.load(ctx, id),

  /** The live policies, most urgent priority first. */
  async list(ctx: RequestContext): Promise<SlaPolicy[]> {
    const rows = await ctx.db.read((em) => em.getRepository(SlaPolicy).findBy({ workspaceId: ctx.workspaceId, deletedAt: IsNull() }));
    return rows.sort((a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority]);
  },

  async create(ctx: RequestContext, input: CreateSlaPolicyInput): Promise<SlaPolicy> {
    const values = await toColumns(ctx, input);
    return ctx.db.write(async (em) => {
      await refuseTakenPriority(ctx, em, input.priority);
      return slaPolicies.insert(ctx, em, values);
    });
  },

  async update(ctx: RequestContext, id: string, input: SlaPolicyInput, expectedVersion?: number | null): Promise<SlaPolicy> {
    const patch = await toColumns(ctx, input);
    return ctx.db.write(async (em) => {
      await refuseTakenPriority(ctx, em, input.priority, id);
      return slaPolicies.update(ctx, em, id, patch, expectedVersion);
    });
  },

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => slaPolicies.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string) =>
    ctx.db.write(async (em) => {
      const policy = await slaPolicies.require(ctx, id);
      await refuseTakenPriority(ctx, em, policy.priority, id);
      return slaPolicies.restore(ctx, em, id);
    }),
};

registerNodeType('SlaPolicy', slaPolicyService.load);
