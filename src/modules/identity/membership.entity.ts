import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Role } from '../../kernel/auth/roles';
import { Node, TenantRecord } from '../../kernel/record';

/** A user's seat in a workspace with a role. Removing a member trashes the seat, so records they own keep their owner. */
@Entity('memberships')
@ObjectType('Member', { implements: Node })
export class Membership extends TenantRecord {
  readonly nodeType = 'Member' as const;

  @Column('uuid', { name: 'user_id' }) userId: string;

  @Field(() => Role) @Column({ type: 'varchar' }) role: Role;

  /** The member's manager (a user id): told when the member's tickets near or pass an SLA; set with setMemberManager. */
  @Column('uuid', { name: 'manager_id', nullable: true }) managerId: string | null;
}
