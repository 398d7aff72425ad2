import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { TagsColumn } from '../../kernel/records/tags';
import { CurrencyScalar, DecimalScalar, LocalDateScalar } from '../../kernel/scalars';
import type { ForecastCategory } from '../pipelines';

export enum DealStatus {
  OPEN = 'OPEN',
  WON = 'WON',
  LOST = 'LOST',
}
registerEnumType(DealStatus, { name: 'DealStatus' });

/** A sales opportunity moving through the stages of one pipeline. */
@Entity('deals')
@ObjectType({ implements: Node })
export class Deal extends TenantRecord {
  readonly nodeType = 'Deal' as const;

  @Field() @Column() name: string;

  @Field(() => DecimalScalar, { description: 'Exact amount in `currency`.' })
  @Column({ type: 'numeric' })
  amount: string;

  @Field(() => CurrencyScalar) @Column({ type: 'char', length: 3 }) currency: string;

  @Column('uuid', { name: 'pipeline_id' }) pipelineId: string;
  @Column('uuid', { name: 'stage_id' }) stageId: string;

  @Field(() => DealStatus) @Column({ type: 'varchar' }) status: DealStatus;

  @Field(() => LocalDateScalar, { nullable: true })
  @Column({ name: 'expected_close_date', type: 'date', nullable: true })
  expectedCloseDate: string | null;

  @Field(() => Date, { description: 'When the deal entered its current stage (set by the database on every stage change; by a stage history on import).' })
  @Column({ name: 'stage_changed_at', type: 'timestamptz' })
  stageChangedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the deal was won or lost.' })
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  @Field(() => String, { nullable: true }) @Column({ name: 'lost_reason', type: 'varchar', nullable: true }) lostReason: string | null;

  @Field(() => String, { nullable: true, description: 'Where the lead came from, e.g. "webinar" or "referral".' })
  @Column({ type: 'varchar', nullable: true })
  source: string | null;

  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  @Column('uuid', { name: 'primary_contact_id', nullable: true }) primaryContactId: string | null;
  @Column('uuid', { name: 'owner_id', nullable: true }) ownerId: string | null;

  @TagsColumn() tags: string[];

  /** The forecast category set on the deal, overriding its stage's while it is open; null: none. GraphQL shows the effective one (DealResolver.forecastCategory). */
  @Column({ name: 'forecast_category', type: 'varchar', nullable: true })
  forecastCategory: ForecastCategory | null;
}
