import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';

/**
 * Something a member is told about, written by a worker (task reminders so far). Only its
 * `read_at` ever changes; `dedupe_key` keeps a job that runs twice from telling twice.
 */
@Entity('notifications')
@ObjectType({ description: 'A notification for the signed-in member, e.g. a task that is due.' })
export class Notification {
  @PrimaryGeneratedColumn('uuid') id: string;

  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Column('uuid', { name: 'user_id' }) userId: string;

  @Field({ description: 'What happened: `TASK_DUE` (the task is due now) or `TASK_DUE_SOON` (it is due within the lead time).' })
  @Column()
  kind: string;

  @Field({ description: 'The subject of the record it concerns, as it was when the notification was made.' })
  @Column({ type: 'text' })
  subject: string;

  @Column({ name: 'record_type', type: 'varchar', nullable: true }) recordType: string | null;

  @Column('uuid', { name: 'record_id', nullable: true }) recordUuid: string | null;

  @Column({ name: 'dedupe_key' }) dedupeKey: string;

  @Field(() => Date, { nullable: true, description: 'When the member marked it read; null while unread.' })
  @Column({ name: 'read_at', type: 'timestamptz', nullable: true })
  readAt: Date | null;

  @Field() @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Notification', this.id);
  }
}
