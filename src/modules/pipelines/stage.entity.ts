import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import type { ForecastCategory } from './forecast-category';

export enum StageKind {
  OPEN = 'OPEN',
  WON = 'WON',
  LOST = 'LOST',
}
registerEnumType(StageKind, { name: 'StageKind', description: 'Whether deals in a stage are still open, won or lost.' });

@Entity('stages')
@ObjectType({ implements: Node })
export class Stage extends TenantRecord {
  readonly nodeType = 'Stage' as const;

  @Column('uuid', { name: 'pipeline_id' }) pipelineId: string;

  @Field() @Column() name: string;

  @Field(() => Int, { description: 'Order within the pipeline, from 0.' })
  @Column({ type: 'int' })
  position: number;

  @Field(() => Int, { description: 'Win probability in percent, used for the weighted forecast.' })
  @Column({ type: 'int' })
  probability: number;

  @Field(() => StageKind) @Column({ type: 'varchar' }) kind: StageKind;

  @Field(() => Int, {
    nullable: true,
    description: 'Days without activity after which an open deal in this stage gets a follow-up task for its owner; null: never.',
  })
  @Column({ name: 'follow_up_after_days', type: 'int', nullable: true })
  followUpAfterDays: number | null;

  /** The category set for the stage; null: its kind's default. GraphQL shows the effective one (StageResolver.forecastCategory). */
  @Column({ name: 'forecast_category', type: 'varchar', nullable: true })
  forecastCategory: ForecastCategory | null;
}
