import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { Node } from '../../kernel/record';
import type { ActionDefinition, AutomationDefinition, TriggerDefinition } from './automation.definition';
import { AutomationActionType, AutomationObjectType, AutomationTriggerType } from './automation.enums';

@ObjectType({ description: 'What starts an automation.' })
export class AutomationTrigger implements TriggerDefinition {
  @Field(() => AutomationTriggerType) type: AutomationTriggerType;
  @Field(() => AutomationObjectType) objectType: AutomationObjectType;
  @Field(() => [String], { nullable: true, description: 'RECORD_UPDATED: runs only when one of these changed.' }) watchedFields: string[] | null;
  @Field(() => String, { nullable: true, description: 'DATE_RELATIVE: the date or time field.' }) dateField: string | null;
  @Field(() => Int, { nullable: true, description: 'DATE_RELATIVE: minutes after (negative: before) the date.' }) offsetMinutes: number | null;
  @Field(() => String, { nullable: true, description: 'SCHEDULE: a 5-field cron expression.' }) cron: string | null;
  @Field(() => String, { nullable: true, description: 'SCHEDULE: the IANA time zone the cron expression is read in.' }) timeZone: string | null;
}

@ObjectType({ description: 'One step of an automation.' })
export class AutomationAction implements ActionDefinition {
  @Field(() => AutomationActionType) type: AutomationActionType;
  @Field(() => Boolean, { nullable: true, description: 'Whether a failure lets the next actions run; null: the automation’s stopOnError decides.' })
  continueOnError: boolean | null;
  @Field(() => GraphQLJSONObject, { description: 'The type’s settings as stored (fields, title, url, …).' }) settings: Record<string, unknown>;
}

/**
 * A rule an integrator scripts: a trigger on one object type, a condition in that type's filter
 * language, and ordered actions. Every change of the rule is a new `version` (kept in
 * automation_versions); enabling and disabling are not. Changes write `automation.*` record
 * events, from which the worker keeps SCHEDULE automations' job schedulers in step.
 */
@Entity('automations')
@ObjectType({ implements: Node })
export class Automation implements Node {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field() @Column() name: string;
  @Field(() => String, { nullable: true }) @Column({ type: 'text', nullable: true }) description: string | null;
  @Field({ description: 'Only enabled automations are triggered.' }) @Column() enabled: boolean;

  @Field(() => Int, { description: 'The rule’s version: raised by every updateAutomation; runs record the version they used.' })
  @Column({ type: 'int' })
  version: number;

  @Column({ name: 'object_type', type: 'varchar' }) objectType: AutomationObjectType;
  @Column({ name: 'trigger_type', type: 'varchar' }) triggerType: AutomationTriggerType;
  @Column({ type: 'jsonb' }) definition: AutomationDefinition;
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy: string | null;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt: Date | null;

  @Field(() => AutomationTrigger) get trigger(): AutomationTrigger {
    return this.definition.trigger;
  }

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The condition: a filter of the trigger’s object type.' })
  get condition(): Record<string, unknown> | null {
    return this.definition.condition;
  }

  @Field(() => [AutomationAction]) get actions(): AutomationAction[] {
    return this.definition.actions;
  }

  @Field({ description: 'Whether a failed action stops the ones after it (unless the action says continueOnError).' })
  get stopOnError(): boolean {
    return this.definition.stopOnError;
  }

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Automation', this.id);
  }
}

/** One version of an automation's rule, as runs of that version executed it. */
@ObjectType({ description: 'One version of an automation’s rule.' })
export class AutomationVersion {
  @Field(() => Int) version: number;
  @Field(() => AutomationTrigger) trigger: AutomationTrigger;
  @Field(() => GraphQLJSONObject, { nullable: true }) condition: Record<string, unknown> | null;
  @Field(() => [AutomationAction]) actions: AutomationAction[];
  @Field() stopOnError: boolean;
  @Field() createdAt: Date;
}
