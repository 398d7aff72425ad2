import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId, type NodeType } from '../../kernel/ids';

/**
 * One change of one record, written in the same transaction as the change (the outbox). Rows
 * are never changed afterwards except to number them (`sequence`).
 */
@Entity('record_events')
@ObjectType({ description: 'A change of a record: who made it, and the record before and after.' })
export class RecordEvent {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field({ description: 'The record type in lower camel case and what happened, e.g. `deal.updated`.' })
  @Column()
  type: string;

  @Field({ description: 'The record’s type, e.g. `Deal`.' })
  @Column({ name: 'record_type' })
  recordType: string;

  @Column('uuid', { name: 'record_id' }) recordUuid: string;

  @Column('uuid', { name: 'actor_user_id', nullable: true }) actorUserId: string | null;

  /** Set instead of actorUserId when an API key made the change. */
  @Column('uuid', { name: 'actor_api_key_id', nullable: true }) actorApiKeyUuid: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The record before the change; null for a created one.' })
  @Column({ type: 'jsonb', nullable: true })
  before: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The record after the change.' })
  @Column({ type: 'jsonb', nullable: true })
  after: Record<string, unknown> | null;

  @Field(() => [String], { description: 'Properties whose values differ between before and after (version and updatedAt left out).' })
  @Column({ type: 'text', array: true })
  changed: string[];

  @Field() @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt: Date;

  /** bigint: pg returns it as a string, and so does the API. */
  @Field(() => String, { nullable: true, description: 'Position in commit order; null until the event is numbered, shortly after commit.' })
  @Column({ name: 'seq', type: 'bigint', nullable: true })
  sequence: string | null;

  @Column('uuid', { name: 'caused_by_run_id', nullable: true }) causedByRunUuid: string | null;

  @Field(() => Int, { description: 'How many automation runs deep the change was made: 0 by a person or the system, 1 by a run a person’s change started, …' })
  @Column({ name: 'automation_depth', type: 'smallint' })
  automationDepth: number;

  @Field(() => ID, { nullable: true, description: 'The automation run whose action made the change (see automationRun).' })
  get causedByRunId(): string | null {
    return this.causedByRunUuid && encodeId('AutomationRun', this.causedByRunUuid);
  }

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('RecordEvent', this.id);
  }

  @Field(() => ID, { name: 'recordId', description: 'The changed record’s id.' })
  get recordId(): string {
    return encodeId(this.recordType as NodeType, this.recordUuid);
  }
}
