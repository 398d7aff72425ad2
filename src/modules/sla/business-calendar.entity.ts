import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { LocalDateScalar } from '../../kernel/scalars';

export enum Weekday {
  MONDAY = 'MONDAY',
  TUESDAY = 'TUESDAY',
  WEDNESDAY = 'WEDNESDAY',
  THURSDAY = 'THURSDAY',
  FRIDAY = 'FRIDAY',
  SATURDAY = 'SATURDAY',
  SUNDAY = 'SUNDAY',
}
registerEnumType(Weekday, { name: 'Weekday' });

/** ISO weekday number (Monday 1 … Sunday 7) of each name. */
export const WEEKDAY_NUMBER: Record<Weekday, 1 | 2 | 3 | 4 | 5 | 6 | 7> = {
  MONDAY: 1,
  TUESDAY: 2,
  WEDNESDAY: 3,
  THURSDAY: 4,
  FRIDAY: 5,
  SATURDAY: 6,
  SUNDAY: 7,
};

@ObjectType({ description: 'Open on `weekday` from `start` to `end`, wall-clock time in the calendar’s time zone.' })
export class OpeningInterval {
  @Field(() => Weekday) weekday: Weekday;
  @Field({ description: '`HH:MM`, 00:00 to 23:59.' }) start: string;
  @Field({ description: '`HH:MM` after start; 24:00 is midnight at the end of the day.' }) end: string;
}

/** When a workspace counts SLA time: weekly opening hours and closed days in one time zone. */
@Entity('business_calendars')
@ObjectType({ implements: Node })
export class BusinessCalendar extends TenantRecord {
  readonly nodeType = 'BusinessCalendar' as const;

  @Field() @Column() name: string;

  @Field({ description: 'IANA time zone, e.g. `Europe/Berlin`; opening hours and holidays are local to it.' })
  @Column({ name: 'time_zone' })
  timeZone: string;

  @Field(() => [OpeningInterval], { description: 'Ordered by weekday and start.' })
  @Column({ name: 'opening_hours', type: 'jsonb' })
  openingHours: OpeningInterval[];

  @Field(() => [LocalDateScalar], { description: 'Whole days closed, ascending.' })
  @Column({ type: 'jsonb' })
  holidays: string[];

  @Field({ description: 'SLA policies without a calendar of their own count in this one.' })
  @Column({ name: 'is_default' })
  isDefault: boolean;
}
