import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { TicketPriority } from '../tickets';

/** The SLA targets of tickets of one priority, in business minutes of a calendar. */
@Entity('sla_policies')
@ObjectType({ implements: Node })
export class SlaPolicy extends TenantRecord {
  readonly nodeType = 'SlaPolicy' as const;

  @Field(() => TicketPriority, { description: 'One live policy per priority.' })
  @Column({ type: 'varchar' })
  priority: TicketPriority;

  /** Null: the workspace's default calendar, or round the clock in UTC while there is none. */
  @Column('uuid', { name: 'calendar_id', nullable: true }) calendarId: string | null;

  @Field(() => Int, { description: 'Business minutes from creation to the first response.' })
  @Column({ name: 'first_response_minutes', type: 'int' })
  firstResponseMinutes: number;

  @Field(() => Int, { description: 'Business minutes from creation to resolution.' })
  @Column({ name: 'resolution_minutes', type: 'int' })
  resolutionMinutes: number;
}
