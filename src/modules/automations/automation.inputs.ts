import { GraphQLJSONObject } from 'graphql-scalars';
import { ArrayMaxSize, IsUrl, Length, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { PageArgs } from '../../kernel/pagination/connection';
import { IfSet, NotBlank } from '../../kernel/validation';
import { AccountFilter } from '../accounts';
import { ActivityFilter } from '../activities';
import { ContactFilter } from '../contacts';
import { DealFilter } from '../deals';
import { TicketFilter } from '../tickets';
import { AutomationActionType, AutomationObjectType, AutomationRunStatus, AutomationTriggerType, TaskAssignee } from './automation.enums';

export const MAX_ACTIONS = 20;

@InputType()
export class AutomationTriggerInput {
  @Field(() => AutomationTriggerType) type: AutomationTriggerType;
  @Field(() => AutomationObjectType) objectType: AutomationObjectType;
  @Field(() => [String], { nullable: true, description: 'RECORD_UPDATED only: filter field names; runs only when one of them changed.' })
  @IfSet() @ArrayMaxSize(50)
  watchedFields?: string[] | null;
  @Field(() => String, { nullable: true, description: 'DATE_RELATIVE: a date or date-time filter field of the object, e.g. expectedCloseDate.' })
  dateField?: string | null;
  @Field(() => Int, { nullable: true, description: 'DATE_RELATIVE: minutes after the date; negative for before (-4320: 3 days before). Default 0.' })
  @IfSet() @Min(-525_600) @Max(525_600)
  offsetMinutes?: number | null;
  @Field(() => String, { nullable: true, description: 'SCHEDULE: a 5-field cron expression, e.g. "0 9 * * 1".' }) @IfSet() @MaxLength(100) cron?: string | null;
  @Field(() => String, { nullable: true, description: 'SCHEDULE: IANA time zone, e.g. "Europe/Berlin". Default UTC.' }) @IfSet() @MaxLength(64) timeZone?: string | null;
}

@InputType({ description: 'A condition in the list filter language of the trigger’s object type: set the one field for that type.' })
export class AutomationConditionInput {
  @Field(() => AccountFilter, { nullable: true }) account?: AccountFilter;
  @Field(() => ContactFilter, { nullable: true }) contact?: ContactFilter;
  @Field(() => DealFilter, { nullable: true }) deal?: DealFilter;
  @Field(() => TicketFilter, { nullable: true }) ticket?: TicketFilter;
  @Field(() => ActivityFilter, { nullable: true }) activity?: ActivityFilter;
}

@InputType({ description: 'One action; which fields apply depends on `type` (see each field).' })
export class AutomationActionInput {
  @Field(() => AutomationActionType) type: AutomationActionType;
  @Field(() => Boolean, { nullable: true, description: 'Run the next actions even if this one fails (overrides stopOnError).' }) continueOnError?: boolean | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'UPDATE_FIELDS: values as for the object’s update mutation, e.g. { "amount": "10.00" }.' })
  fields?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'CREATE_TASK, CREATE_NOTE: the subject; NOTIFY_USER: the message.' }) @IfSet() @Length(1, 300) @NotBlank() title?: string | null;
  @Field(() => String, { nullable: true, description: 'CREATE_TASK, CREATE_NOTE: the text.' }) @IfSet() @MaxLength(20000) body?: string | null;
  @Field(() => Int, { nullable: true, description: 'CREATE_TASK: due this many hours after the run (default 24).' }) @IfSet() @Min(0) @Max(24 * 366) dueInHours?: number | null;
  @Field(() => TaskAssignee, { nullable: true, description: 'CREATE_TASK, NOTIFY_USER: the record’s owner (default) or `userId`.' }) assignee?: TaskAssignee | null;
  @Field(() => ID, { nullable: true, description: 'CREATE_TASK, NOTIFY_USER with assignee MEMBER: a member of the workspace.' }) userId?: string | null;
  @Field(() => String, { nullable: true, description: 'ADD_TAG: the tag.' }) @IfSet() @Length(1, 50) @NotBlank() tag?: string | null;

  @Field(() => String, { nullable: true, description: 'CALL_WEBHOOK: an http(s) URL that receives a POST with the run and the record as JSON.' })
  @IfSet() @MaxLength(2000) @IsUrl({ require_tld: false, require_protocol: true }, { message: 'url must be an http(s) URL' })
  url?: string | null;
  @Field(() => Int, { nullable: true, description: 'CALL_WEBHOOK: give up after this many ms (default 5000, at most 30000).' }) @IfSet() @Min(100) @Max(30_000) timeoutMs?: number | null;
}

@InputType({ description: 'The rule; on update, omitted fields stay as they are.' })
export class AutomationInput {
  @Field({ nullable: true }) @IfSet() @Length(1, 200) @NotBlank() name?: string;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(2000) description?: string | null;
  @Field(() => AutomationTriggerInput, { nullable: true }) @IfSet() @ValidateNested() trigger?: AutomationTriggerInput;
  @Field(() => AutomationConditionInput, { nullable: true, description: 'null: every record.' }) condition?: AutomationConditionInput | null;
  @Field(() => [AutomationActionInput], { nullable: true, description: `1 to ${MAX_ACTIONS} actions, run in order.` })
  @IfSet() @ArrayMaxSize(MAX_ACTIONS) @ValidateNested({ each: true })
  actions?: AutomationActionInput[];
  @Field({ nullable: true, description: 'A failed action stops the rest (default false: the others still run).' }) stopOnError?: boolean;
}

@InputType()
export class CreateAutomationInput extends AutomationInput {
  @Field() @Length(1, 200) @NotBlank() declare name: string;
  @Field(() => AutomationTriggerInput) @ValidateNested() declare trigger: AutomationTriggerInput;
  @Field(() => [AutomationActionInput]) @ArrayMaxSize(MAX_ACTIONS) @ValidateNested({ each: true }) declare actions: AutomationActionInput[];
  @Field({ nullable: true, defaultValue: true }) enabled?: boolean;
}

@InputType()
export class AutomationFilter {
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => AutomationObjectType, { nullable: true }) objectType?: AutomationObjectType | null;
  @Field(() => AutomationTriggerType, { nullable: true }) triggerType?: AutomationTriggerType | null;
}

@ArgsType()
export class AutomationListArgs extends PageArgs {
  @Field(() => AutomationFilter, { nullable: true }) filter?: AutomationFilter | null;
}

@ArgsType()
export class AutomationRunListArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: 'Runs of this automation only.' }) automationId?: string | null;
  @Field(() => AutomationRunStatus, { nullable: true }) status?: AutomationRunStatus | null;
}
