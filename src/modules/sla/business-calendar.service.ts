import { IsNull, type EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { appError } from '../../kernel/errors';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { ListArgs } from '../../kernel/records/list-args';
import { RecordStore } from '../../kernel/records/record-store';
import { recordPort } from '../../kernel/records/record-port';
import { BusinessCalendar } from './business-calendar.entity';
import { checkOpeningHours, checkTimeZone, normalizeHolidays } from './calendar-rules';
import type { BusinessCalendarFilter, BusinessCalendarInput, BusinessCalendarOrderField, CreateBusinessCalendarInput } from './sla.inputs';
import { businessCalendarModel } from './sla.model';
import { SlaPolicy } from './sla-policy.entity';

export const calendars = new RecordStore(businessCalendarModel);

/** Input → columns, each part checked (bad input names the field). */
function toColumns(input: BusinessCalendarInput): Partial<BusinessCalendar> {
  return {
    name: input.name?.trim(),
    timeZone: input.timeZone === undefined ? undefined : checkTimeZone(input.timeZone),
    openingHours: input.openingHours && checkOpeningHours(input.openingHours),
    holidays: input.holidays && normalizeHolidays(input.holidays),
    isDefault: input.isDefault,
  };
}

/** Takes the default flag from whichever live calendar holds it; an updated event for it. */
async function clearDefault(ctx: RequestContext, em: EntityManager): Promise<void> {
  const current = await em.getRepository(BusinessCalendar).findBy({ workspaceId: ctx.workspaceId, isDefault: true, deletedAt: IsNull() });
  for (const calendar of current) await calendars.update(ctx, em, calendar.id, { isDefault: false });
}

export const businessCalendarService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(calendars),

  load: (ctx: RequestContext, id: string | null | undefined) => calendars.load(ctx, id),

  get: (ctx: RequestContext, id: string) => calendars.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<BusinessCalendarFilter, BusinessCalendarOrderField>): Promise<Connection<BusinessCalendar>> =>
    calendars.list(ctx, args),

  create(ctx: RequestContext, input: CreateBusinessCalendarInput): Promise<BusinessCalendar> {
    const values = toColumns(input);
    return ctx.db.write(async (em) => {
      if (values.isDefault) await clearDefault(ctx, em);
      return calendars.insert(ctx, em, values);
    });
  },

  update(ctx: RequestContext, id: string, input: BusinessCalendarInput, expectedVersion?: number | null): Promise<BusinessCalendar> {
    const patch = toColumns(input);
    return ctx.db.write(async (em) => {
      const current = await calendars.require(ctx, id);
      if (patch.isDefault && !current.isDefault) await clearDefault(ctx, em);
      return calendars.update(ctx, em, id, patch, expectedVersion);
    });
  },

  /** To the trash, unless a live SLA policy counts in it. */
  delete(ctx: RequestContext, id: string, expectedVersion?: number | null): Promise<BusinessCalendar> {
    return ctx.db.write(async (em) => {
      const users = await em.getRepository(SlaPolicy).findBy({ workspaceId: ctx.workspaceId, calendarId: id, deletedAt: IsNull() });
      if (users.length > 0) {
        const priorities = users.map((policy) => policy.priority).join(', ');
        throw appError('CONFLICT', `The SLA policies for ${priorities} count in this calendar; give them another one first`);
      }
      return calendars.softDelete(ctx, em, id, expectedVersion);
    });
  },

  /** Back from the trash; a default calendar is refused (CONFLICT on isDefault) while another one holds the flag. */
  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => calendars.restore(ctx, em, id)),
};

registerNodeType('BusinessCalendar', businessCalendarService.load);
