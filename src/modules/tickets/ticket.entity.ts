import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { TagsColumn } from '../../kernel/records/tags';

export enum TicketStatus {
  NEW = 'NEW',
  OPEN = 'OPEN',
  PENDING = 'PENDING',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}
registerEnumType(TicketStatus, { name: 'TicketStatus', description: 'PENDING: waiting on the customer.' });

export enum TicketPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(TicketPriority, { name: 'TicketPriority' });

export enum TicketCategory {
  QUESTION = 'QUESTION',
  PROBLEM = 'PROBLEM',
  COMPLAINT = 'COMPLAINT',
  REQUEST = 'REQUEST',
}
registerEnumType(TicketCategory, { name: 'TicketCategory' });

/** A service case: a question, problem, complaint or request from a customer. */
@Entity('tickets')
@ObjectType({ implements: Node })
export class Ticket extends TenantRecord {
  readonly nodeType = 'Ticket' as const;

  @Field() @Column() subject: string;
  @Field(() => String, { nullable: true }) @Column({ type: 'text', nullable: true }) description: string | null;

  @Field(() => TicketStatus) @Column({ type: 'varchar' }) status: TicketStatus;
  @Field(() => TicketPriority) @Column({ type: 'varchar' }) priority: TicketPriority;
  @Field(() => TicketCategory) @Column({ type: 'varchar' }) category: TicketCategory;

  /** Derived by PostgreSQL from priority (URGENT 4 … LOW 1), so lists can order by urgency. */
  @Column({ name: 'priority_rank', type: 'smallint', insert: false, update: false }) priorityRank: number;

  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  @Column('uuid', { name: 'contact_id', nullable: true }) contactId: string | null;
  @Column('uuid', { name: 'assignee_id', nullable: true }) assigneeId: string | null;

  @TagsColumn() tags: string[];

  @Field(() => Date, { nullable: true, description: 'First reply to the customer (call, email or meeting logged on the ticket, or leaving NEW).' })
  @Column({ name: 'first_response_at', type: 'timestamptz', nullable: true })
  firstResponseAt: Date | null;

  @Field(() => Date, { nullable: true }) @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt: Date | null;

  // SLA (module sla): due times from the policy of the ticket's priority, moved by time spent
  // paused; warn times at 80 % of the way; the warned/breached markers make each escalation once.
  @Field(() => Date, { nullable: true, description: 'When the first response is due under the SLA policy of the priority; null without a policy.' })
  @Column({ name: 'first_response_due_at', type: 'timestamptz', nullable: true })
  firstResponseDueAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When resolution is due under the SLA policy of the priority; null without a policy.' })
  @Column({ name: 'resolution_due_at', type: 'timestamptz', nullable: true })
  resolutionDueAt: Date | null;

  @Column({ name: 'first_response_warn_at', type: 'timestamptz', nullable: true }) firstResponseWarnAt: Date | null;
  @Column({ name: 'first_response_warned_at', type: 'timestamptz', nullable: true }) firstResponseWarnedAt: Date | null;
  @Column({ name: 'first_response_breached_at', type: 'timestamptz', nullable: true }) firstResponseBreachedAt: Date | null;
  @Column({ name: 'resolution_warn_at', type: 'timestamptz', nullable: true }) resolutionWarnAt: Date | null;
  @Column({ name: 'resolution_warned_at', type: 'timestamptz', nullable: true }) resolutionWarnedAt: Date | null;
  @Column({ name: 'resolution_breached_at', type: 'timestamptz', nullable: true }) resolutionBreachedAt: Date | null;
  @Column({ name: 'sla_paused_at', type: 'timestamptz', nullable: true }) slaPausedAt: Date | null;
  @Column({ name: 'sla_paused_minutes', type: 'double precision', default: 0 }) slaPausedMinutes: number;
  @Field(() => Date, { nullable: true }) @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt: Date | null;
}
