import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';

/** A sales process: an ordered list of stages a deal moves through. */
@Entity('pipelines')
@ObjectType({ implements: Node })
export class Pipeline extends TenantRecord {
  readonly nodeType = 'Pipeline' as const;

  @Field() @Column() name: string;

  @Field({ description: 'New deals without a pipeline go here.' })
  @Column({ name: 'is_default' })
  isDefault: boolean;
}
