import { ArgsType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsEnum, Length, Max, Min, ValidateNested } from 'class-validator';
import { BooleanFilter, DateTimeFilter, StringFilter } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput } from '../../kernel/records/list-args';
import { LocalDateScalar } from '../../kernel/scalars';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { TicketPriority } from '../tickets';
import { Weekday, type BusinessCalendar } from './business-calendar.entity';
import type { SlaPolicy } from './sla-policy.entity';

export const MAX_INTERVALS = 70;
export const MAX_HOLIDAYS = 1000;
/** A year of round-the-clock minutes: anything longer is a typo. */
export const MAX_TARGET_MINUTES = 525_600;

@InputType()
export class OpeningIntervalInput {
  @Field(() => Weekday) @IsEnum(Weekday) weekday: Weekday;
  @Field({ description: '`HH:MM`, 00:00 to 23:59.' }) start: string;
  @Field({ description: '`HH:MM` after start, up to 24:00.' }) end: string;
}

@InputType({ description: 'Fields of a business calendar; on update, omitted fields stay as they are.' })
export class BusinessCalendarInput implements Partial<Omit<BusinessCalendar, 'openingHours'>> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 200) @NotBlank() name?: string;

  @Field({ nullable: true, description: 'IANA time zone, e.g. `Europe/Berlin`.' }) @IfPresent() timeZone?: string;

  @Field(() => [OpeningIntervalInput], { nullable: true, description: 'Replaces all opening hours; intervals of one weekday must not overlap.' })
  @IfPresent()
  @ArrayMinSize(1, { message: 'openingHours must hold at least one interval' })
  @ArrayMaxSize(MAX_INTERVALS)
  @ValidateNested()
  openingHours?: OpeningIntervalInput[];

  @Field(() => [LocalDateScalar], { nullable: true, description: 'Replaces all holidays.' })
  @IfPresent()
  @ArrayMaxSize(MAX_HOLIDAYS)
  holidays?: string[];

  @Field({ nullable: true, description: 'Making a calendar the default takes the flag from the previous default.' })
  @IfPresent()
  @IsBoolean()
  isDefault?: boolean;
}

@InputType()
export class CreateBusinessCalendarInput extends BusinessCalendarInput {
  @Field() @Length(1, 200) @NotBlank() declare name: string;
  @Field() declare timeZone: string;
  @Field(() => [OpeningIntervalInput]) declare openingHours: OpeningIntervalInput[];
  @Field(() => [LocalDateScalar], { defaultValue: [] }) declare holidays: string[];
  @Field({ defaultValue: false }) declare isDefault: boolean;
}

@InputType()
export class BusinessCalendarFilter {
  @Field(() => StringFilter, { nullable: true }) name?: StringFilter;
  @Field(() => BooleanFilter, { nullable: true }) isDefault?: BooleanFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => [BusinessCalendarFilter], { nullable: true }) and?: BusinessCalendarFilter[];
  @Field(() => [BusinessCalendarFilter], { nullable: true }) or?: BusinessCalendarFilter[];
  @Field(() => BusinessCalendarFilter, { nullable: true }) not?: BusinessCalendarFilter;
}

export enum BusinessCalendarOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(BusinessCalendarOrderField, { name: 'BusinessCalendarOrderField', valuesConfig: { NAME: TEXT_ORDER } });
export const BusinessCalendarOrder = orderInputType(BusinessCalendarOrderField, 'BusinessCalendar');

@ArgsType()
export class BusinessCalendarListArgs extends PageArgs {
  @Field(() => BusinessCalendarFilter, { nullable: true }) filter?: BusinessCalendarFilter;
  @Field(() => [BusinessCalendarOrder], { nullable: true, description: 'Default: oldest first.' })
  orderBy?: OrderInput<BusinessCalendarOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the name, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include calendars in the trash.' }) withDeleted?: boolean;
}

@InputType({ description: 'Fields of an SLA policy; on update, omitted fields stay as they are and null clears.' })
export class SlaPolicyInput implements Partial<Omit<SlaPolicy, 'calendarId'>> {
  @Field(() => TicketPriority, { nullable: true })
  @IfPresent()
  @IsEnum(TicketPriority, { message: 'priority must be one of LOW, NORMAL, HIGH, URGENT' })
  priority?: TicketPriority;

  @Field(() => ID, { nullable: true, description: 'A business calendar; null: the workspace default (round the clock in UTC while there is none).' })
  @IfSet()
  calendarId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Business minutes from creation to the first response.' })
  @IfPresent()
  @Min(1)
  @Max(MAX_TARGET_MINUTES)
  firstResponseMinutes?: number;

  @Field(() => Int, { nullable: true, description: 'Business minutes from creation to resolution.' })
  @IfPresent()
  @Min(1)
  @Max(MAX_TARGET_MINUTES)
  resolutionMinutes?: number;
}

@InputType()
export class CreateSlaPolicyInput extends SlaPolicyInput {
  @Field(() => TicketPriority) declare priority: TicketPriority;
  @Field(() => Int) declare firstResponseMinutes: number;
  @Field(() => Int) declare resolutionMinutes: number;
}
