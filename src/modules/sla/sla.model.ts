import { keyedText } from '../../kernel/filtering/compile-filter';
import type { RecordModel } from '../../kernel/records/record-store';
import { BusinessCalendar } from './business-calendar.entity';
import { BusinessCalendarOrderField, type BusinessCalendarFilter } from './sla.inputs';
import { SlaPolicy } from './sla-policy.entity';

export const businessCalendarModel: RecordModel<BusinessCalendar, BusinessCalendarFilter, BusinessCalendarOrderField> = {
  type: 'BusinessCalendar',
  entity: BusinessCalendar,
  filter: {
    name: keyedText('name'),
    isDefault: { column: 'is_default', kind: 'boolean' },
    createdAt: { column: 'created_at', kind: 'datetime' },
  },
  order: { NAME: { column: 'name_key' }, CREATED_AT: { column: 'created_at' } },
  defaultOrder: { field: BusinessCalendarOrderField.CREATED_AT, direction: 'ASC' },
  search: ['name'],
};

/** Policies are read as the workspace's (at most four) live ones, never as a connection. */
export const slaPolicyModel: RecordModel<SlaPolicy, Record<never, never>, 'CREATED_AT'> = {
  type: 'SlaPolicy',
  entity: SlaPolicy,
  filter: {},
  order: { CREATED_AT: { column: 'created_at' } },
  defaultOrder: { field: 'CREATED_AT', direction: 'ASC' },
  search: [],
  references: { calendarId: 'BusinessCalendar' },
};
