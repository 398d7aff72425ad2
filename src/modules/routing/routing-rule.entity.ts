import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { GraphQLJSONObject } from 'graphql-scalars';
import { encodeId } from '../../kernel/ids';

export enum RoutingObjectType {
  CONTACT = 'CONTACT',
  DEAL = 'DEAL',
}
registerEnumType(RoutingObjectType, { name: 'RoutingObjectType', description: 'The kind of record a routing rule assigns.' });

export enum RoutingStrategy {
  FIXED_USER = 'FIXED_USER',
  ROUND_ROBIN = 'ROUND_ROBIN',
  LEAST_LOADED = 'LEAST_LOADED',
  TERRITORY = 'TERRITORY',
}
registerEnumType(RoutingStrategy, {
  name: 'RoutingStrategy',
  valuesConfig: {
    FIXED_USER: { description: 'Always the rule’s user.' },
    ROUND_ROBIN: { description: 'The team’s members in turn (in the order they joined the team).' },
    LEAST_LOADED: { description: 'The team member owning the fewest open deals; ties by user id.' },
    TERRITORY: { description: 'The member of the most specific matching territory: longest postcode prefix, then region, then country.' },
  },
});

/** One territory of a TERRITORY rule; every part given must match the record’s location. */
@ObjectType()
export class Territory {
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' }) country: string | null;
  @Field(() => String, { nullable: true, description: 'Region, compared ignoring case.' }) region: string | null;
  @Field(() => String, { nullable: true, description: 'Postal codes starting with this prefix.' }) postcodePrefix: string | null;
  /** Raw user id (uuid); `user` resolves it. */
  userId: string;
}

/**
 * One rule of a workspace's ordered routing list. The first enabled rule of the record's type
 * whose condition matches decides; `rrCursor` counts round-robin turns taken.
 */
@Entity('routing_rules')
@ObjectType({ description: 'A lead routing rule: a condition in the list-filter language and a strategy.' })
export class RoutingRule {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;

  @Field() @Column() name: string;
  @Field(() => RoutingObjectType) @Column({ name: 'object_type', type: 'varchar' }) objectType: RoutingObjectType;
  @Field(() => Int, { description: 'Place in the workspace’s list, from 0; rules are tried in this order.' }) @Column({ type: 'int' }) position: number;
  @Field() @Column({ type: 'boolean', default: true }) enabled: boolean;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'A ContactFilter or DealFilter (as for the list queries); null matches every record.' })
  @Column({ type: 'jsonb', nullable: true })
  condition: object | null;

  @Field(() => RoutingStrategy) @Column({ type: 'varchar' }) strategy: RoutingStrategy;
  @Column('uuid', { name: 'user_id', nullable: true }) userId: string | null;
  @Column('uuid', { name: 'team_id', nullable: true }) teamId: string | null;

  @Field(() => [Territory]) @Column({ type: 'jsonb', default: () => `'[]'` }) territories: Territory[];

  @Column({ name: 'rr_cursor', type: 'bigint', select: false }) rrCursor: string;

  @Field() @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Field() @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
  @Field(() => Int) @Column({ type: 'int', default: 1 }) version: number;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return encodeId('RoutingRule', this.id);
  }
}
