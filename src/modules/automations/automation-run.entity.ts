import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId, type NodeType } from '../../kernel/ids';
import { Node } from '../../kernel/record';
import { ActionResultStatus, AutomationActionType, AutomationRunStatus } from './automation.enums';

@ObjectType({ description: 'What one action of a run did, or why it failed.' })
export class AutomationActionResult {
  @Field(() => Int) index: number;
  @Field(() => AutomationActionType) type: AutomationActionType;
  @Field(() => ActionResultStatus) status: ActionResultStatus;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'What it did, e.g. the task it created or the webhook’s status.' })
  output: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'e.g. BAD_USER_INPUT, NOT_FOUND, WEBHOOK_HTTP_STATUS, WEBHOOK_TIMEOUT.' }) errorCode: string | null;
  @Field(() => String, { nullable: true }) errorMessage: string | null;
}

/** One execution of an automation for one record: why it started, which version ran, each action's result. */
@Entity('automation_runs')
@ObjectType({ implements: Node })
export class AutomationRun implements Node {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Column('uuid', { name: 'automation_id' }) automationId: string;

  @Field(() => Int, { description: 'The automation version it ran.' }) @Column({ type: 'int' }) version: number;

  @Field({ description: '`event:<event id>`, `date:<record>:<date value>` or `schedule:<occurrence>:<record>`.' })
  @Column({ name: 'trigger_key' })
  trigger: string;

  @Column('uuid', { name: 'trigger_event_id', nullable: true }) triggerEventUuid: string | null;
  @Column({ name: 'record_type', type: 'varchar' }) recordType: NodeType;
  @Column('uuid', { name: 'record_id' }) recordUuid: string;

  @Field(() => Int, { description: 'How many automation runs deep this run is (1: started by a person’s change).' })
  @Column({ type: 'smallint' })
  depth: number;

  @Field(() => AutomationRunStatus) @Column({ type: 'varchar' }) status: AutomationRunStatus;
  @Field(() => String, { nullable: true, description: 'Why a run was SKIPPED, e.g. "loop guard".' }) @Column({ type: 'text', nullable: true }) reason: string | null;

  @Field(() => [AutomationActionResult]) @Column({ name: 'action_results', type: 'jsonb' }) actionResults: AutomationActionResult[];

  @Field(() => String, { nullable: true }) @Column({ name: 'error_code', type: 'varchar', nullable: true }) errorCode: string | null;
  @Field(() => String, { nullable: true }) @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage: string | null;

  @Field(() => Int, { description: 'Executions so far, retries included.' }) @Column({ type: 'int' }) attempts: number;
  @Field(() => Int, { description: 'How often retryAutomationRun re-queued it.' }) @Column({ type: 'int' }) retries: number;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Field(() => Date, { nullable: true }) @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Field(() => Date, { nullable: true }) @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'The record event that triggered it (for RECORD_* triggers).' })
  get triggerEventId(): string | null {
    return this.triggerEventUuid && encodeId('RecordEvent', this.triggerEventUuid);
  }

  @Field(() => ID, { description: 'The record it ran for (resolve it with node(id)).' })
  get recordId(): string {
    return encodeId(this.recordType, this.recordUuid);
  }

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('AutomationRun', this.id);
  }
}
