import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';

/** A member's place in a team; round-robin takes members in the order they were added. */
@Entity('team_members')
@ObjectType()
export class TeamMember {
  @PrimaryColumn('uuid', { name: 'team_id' }) teamId: string;
  @PrimaryColumn('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Field() @Column({ name: 'added_at', type: 'timestamptz' }) addedAt: Date;
}

/** A group of members that ROUND_ROBIN and LEAST_LOADED rules assign among. */
@Entity('teams')
@ObjectType()
export class Team {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Field() @Column() name: string;
  @Field() @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  @Field(() => [TeamMember], { description: 'In the order they were added (the round-robin order).' })
  members: TeamMember[];

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('Team', this.id);
  }
}

/**
 * Whether routing may give a member new records: out of office (until a time, or until
 * cleared) and at most so many open deals / live contacts owned. No row: available, no limit.
 */
@Entity('member_availability')
@ObjectType()
export class MemberAvailability {
  @PrimaryColumn('uuid', { name: 'workspace_id' }) workspaceId: string;
  @PrimaryColumn('uuid', { name: 'user_id' }) userId: string;
  @Field({ description: 'Out of office (until `until`, when set).' }) @Column({ type: 'boolean', default: false }) unavailable: boolean;
  @Field(() => Date, { nullable: true }) @Column({ name: 'unavailable_until', type: 'timestamptz', nullable: true }) until: Date | null;
  @Field(() => String, { nullable: true }) @Column({ type: 'varchar', nullable: true }) note: string | null;
  @Field(() => Int, { nullable: true, description: 'Routing skips the member while they own this many open deals.' })
  @Column({ name: 'max_open_deals', type: 'int', nullable: true })
  maxOpenDeals: number | null;
  @Field(() => Int, { nullable: true, description: 'Routing skips the member while they own this many live contacts.' })
  @Column({ name: 'max_contacts', type: 'int', nullable: true })
  maxContacts: number | null;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;

  @Field({ description: 'Not out of office right now.' })
  get available(): boolean {
    return !this.unavailable || (this.until !== null && this.until.getTime() <= Date.now());
  }
}
