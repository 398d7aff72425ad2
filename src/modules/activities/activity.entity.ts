import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { FollowUpOrigin } from './follow-up-origin';

export enum ActivityType {
  CALL = 'CALL',
  MEETING = 'MEETING',
  EMAIL = 'EMAIL',
  NOTE = 'NOTE',
  TASK = 'TASK',
}
registerEnumType(ActivityType, { name: 'ActivityType' });

/** An entry in the activity diary: a call, meeting, email, note or task, linked to the records it concerns. */
@Entity('activities')
@ObjectType({ implements: Node })
export class Activity extends TenantRecord {
  readonly nodeType = 'Activity' as const;

  @Field(() => ActivityType) @Column({ type: 'varchar' }) type: ActivityType;
  @Field() @Column() subject: string;
  @Field(() => String, { nullable: true }) @Column({ type: 'text', nullable: true }) body: string | null;

  @Field(() => Date, { nullable: true, description: 'When the call, meeting or email happened (or is scheduled).' })
  @Column({ name: 'occurred_at', type: 'timestamptz', nullable: true })
  occurredAt: Date | null;

  @Field(() => Int, { nullable: true }) @Column({ name: 'duration_minutes', type: 'int', nullable: true }) durationMinutes: number | null;

  @Field(() => Date, { nullable: true, description: 'Tasks only: when it is due.' })
  @Column({ name: 'due_at', type: 'timestamptz', nullable: true })
  dueAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Tasks only: when it was completed.' })
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  @Column('uuid', { name: 'contact_id', nullable: true }) contactId: string | null;
  @Column('uuid', { name: 'deal_id', nullable: true }) dealId: string | null;
  @Column('uuid', { name: 'ticket_id', nullable: true }) ticketId: string | null;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId: string | null;

  @Field(() => FollowUpOrigin, { nullable: true, description: 'Set on tasks the CRM created by itself: why it did.' })
  @Column({ name: 'follow_up_origin', type: 'varchar', nullable: true })
  followUpOrigin: FollowUpOrigin | null;

  /** Names the occasion (a deal; a contact and year; an account and date); unique per origin, see the migration. */
  @Column({ name: 'follow_up_key', type: 'varchar', nullable: true }) followUpKey: string | null;

  @Field({ description: 'Tasks only: whether it is completed.' })
  get done(): boolean {
    return this.completedAt !== null;
  }
}
