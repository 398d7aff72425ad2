import { ArgsType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { Length, Max, MaxLength, Min } from 'class-validator';
import {
  BooleanFilter,
  DateTimeFilter,
  IDFilter,
  StringFilter,
  enumFilter,
  type EnumFilterOf,
} from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, type OrderInput } from '../../kernel/records/list-args';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { FollowUpOrigin } from './follow-up-origin';
import { ActivityType, type Activity } from './activity.entity';

/** Columns that hold references; inputs carry public ids for them instead of uuids. */
type ActivityReference = 'accountId' | 'contactId' | 'dealId' | 'ticketId' | 'ownerId';

@InputType({
  description:
    'Fields of an activity; on update, omitted fields stay as they are and null clears. ' +
    'At least one of accountId, contactId, dealId and ticketId must remain set.',
})
export class ActivityInput implements Partial<Omit<Activity, ActivityReference>> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 300) @NotBlank() subject?: string;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(20000) body?: string | null;

  @Field(() => Date, { nullable: true, description: 'Calls, meetings, emails and notes; calls, emails and notes default to now.' })
  occurredAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'Calls and meetings only.' })
  @IfSet() @Min(0) @Max(1440, { message: 'durationMinutes must be at most 1440 (one day)' })
  durationMinutes?: number | null;

  @Field(() => Date, { nullable: true, description: 'Tasks only.' }) dueAt?: Date | null;

  @Field(() => ID, { nullable: true }) accountId?: string | null;
  @Field(() => ID, { nullable: true }) contactId?: string | null;
  @Field(() => ID, { nullable: true }) dealId?: string | null;
  @Field(() => ID, { nullable: true }) ticketId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A user who is a member of this workspace; on create, defaults to you.' })
  ownerId?: string | null;
}

const HISTORY = 'Needs history:write (see docs/sync.md, History on import); not in the future.';

@InputType()
export class CreateActivityInput extends ActivityInput {
  @Field(() => ActivityType, { description: 'Cannot be changed later.' }) type: ActivityType;
  @Field() @Length(1, 300) @NotBlank() declare subject: string;

  @Field(() => Date, { nullable: true, description: `When the entry was made, e.g. in the CRM it comes from. ${HISTORY}` }) createdAt?: Date | null;

  @Field(() => Date, { nullable: true, description: `Tasks only: created as completed at this time (a task taken over with its history). ${HISTORY}` })
  completedAt?: Date | null;
}

/** The fields of a new activity that write history (kernel/records/history.ts). */
export const ACTIVITY_HISTORY_FIELDS = ['createdAt', 'completedAt'] as const;

const ActivityTypeFilter = enumFilter(ActivityType, 'ActivityType');
const FollowUpOriginFilter = enumFilter(FollowUpOrigin, 'FollowUpOrigin');

@InputType()
export class ActivityFilter {
  @Field(() => ActivityTypeFilter, { nullable: true }) type?: EnumFilterOf<ActivityType>;
  @Field(() => FollowUpOriginFilter, { nullable: true, description: 'Tasks the CRM created by itself, by why; `isNull: true` for all others.' })
  followUpOrigin?: EnumFilterOf<FollowUpOrigin>;
  @Field(() => StringFilter, { nullable: true }) subject?: StringFilter;
  @Field(() => IDFilter, { nullable: true }) accountId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) contactId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) dealId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) ticketId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) ownerId?: IDFilter;
  @Field(() => DateTimeFilter, { nullable: true }) occurredAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) dueAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) completedAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => BooleanFilter, { nullable: true, description: 'Whether the activity is completed (tasks).' }) done?: BooleanFilter;
  @Field(() => [ActivityFilter], { nullable: true }) and?: ActivityFilter[];
  @Field(() => [ActivityFilter], { nullable: true }) or?: ActivityFilter[];
  @Field(() => ActivityFilter, { nullable: true }) not?: ActivityFilter;
}

export enum ActivityOrderField {
  CREATED_AT = 'CREATED_AT',
  OCCURRED_AT = 'OCCURRED_AT',
  DUE_AT = 'DUE_AT',
}
registerEnumType(ActivityOrderField, {
  name: 'ActivityOrderField',
  valuesConfig: {
    OCCURRED_AT: { description: 'Activities without a time come last ascending, first descending.' },
    DUE_AT: { description: 'Activities without a due time come last ascending, first descending.' },
  },
});
export const ActivityOrder = orderInputType(ActivityOrderField, 'Activity');

@ArgsType()
export class ActivityListArgs extends PageArgs {
  @Field(() => ActivityFilter, { nullable: true }) filter?: ActivityFilter;
  @Field(() => [ActivityOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: OrderInput<ActivityOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the subject, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include activities in the trash.' }) withDeleted?: boolean;
}
