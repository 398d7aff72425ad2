import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { encodeId } from '../../kernel/ids';
import { RoutingObjectType, RoutingStrategy } from './routing-rule.entity';

export enum RoutingOutcome {
  ASSIGNED = 'ASSIGNED',
  NO_RULE_MATCHED = 'NO_RULE_MATCHED',
  NO_ELIGIBLE_CANDIDATE = 'NO_ELIGIBLE_CANDIDATE',
}
registerEnumType(RoutingOutcome, { name: 'RoutingOutcome' });

export enum RoutingSkipReason {
  NOT_A_MEMBER = 'NOT_A_MEMBER',
  UNAVAILABLE = 'UNAVAILABLE',
  AT_CAPACITY = 'AT_CAPACITY',
  NOT_IN_TERRITORY = 'NOT_IN_TERRITORY',
  RANKED_LOWER = 'RANKED_LOWER',
}
registerEnumType(RoutingSkipReason, {
  name: 'RoutingSkipReason',
  valuesConfig: {
    NOT_A_MEMBER: { description: 'No longer a member of the workspace.' },
    UNAVAILABLE: { description: 'Out of office.' },
    AT_CAPACITY: { description: 'Owns as many records as their capacity allows.' },
    NOT_IN_TERRITORY: { description: 'Their territories do not match the record’s location.' },
    RANKED_LOWER: { description: 'Eligible, but the strategy preferred the chosen one (later turn, more open deals, less specific territory).' },
  },
});

/** One member the rule's strategy considered, and what became of them. */
@ObjectType()
export class RoutingCandidate {
  /** Raw user id (uuid); `user` resolves it. */
  userId: string;
  @Field() chosen: boolean;
  @Field(() => RoutingSkipReason, { nullable: true }) skipReason: RoutingSkipReason | null;
  @Field(() => String, { nullable: true, description: 'In words, e.g. "out of office until 2026-12-01T00:00:00.000Z".' }) detail: string | null;
}

/** Why a record got its owner (or none); written in the transaction that assigns it. */
@Entity('routing_decisions')
@ObjectType({ description: 'A routing decision: the rule that matched, the candidates, the owner chosen.' })
export class RoutingDecision {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'workspace_id' }) workspaceId: string;
  @Field(() => RoutingObjectType) @Column({ name: 'object_type', type: 'varchar' }) objectType: RoutingObjectType;
  @Column('uuid', { name: 'record_id' }) recordId: string;
  @Column('uuid', { name: 'rule_id', nullable: true }) ruleId: string | null;
  @Field(() => String, { nullable: true, description: 'The rule’s name when it decided (kept after the rule is deleted).' })
  @Column({ name: 'rule_name', type: 'varchar', nullable: true })
  ruleName: string | null;
  @Field(() => RoutingStrategy, { nullable: true }) @Column({ type: 'varchar', nullable: true }) strategy: RoutingStrategy | null;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId: string | null;
  @Field(() => RoutingOutcome) @Column({ type: 'varchar' }) outcome: RoutingOutcome;
  @Field({ description: 'Why, in words.' }) @Column({ type: 'text' }) reason: string;
  @Field(() => [RoutingCandidate]) @Column({ type: 'jsonb' }) candidates: RoutingCandidate[];
  @Field({ name: 'decidedAt' }) @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;

  /** True for `simulateRouting`: nothing was stored, and `id` and `recordId` are null. */
  @Field() simulated: boolean = false;

  @Field(() => ID, { name: 'id', nullable: true })
  get globalId(): string | null {
    return this.simulated ? null : encodeId('RoutingDecision', this.id);
  }

  @Field(() => ID, { name: 'recordId', nullable: true, description: 'The contact or deal routed.' })
  get recordGlobalId(): string | null {
    return this.simulated ? null : encodeId(this.objectType === RoutingObjectType.DEAL ? 'Deal' : 'Contact', this.recordId);
  }
}
