import { Field, ObjectType } from 'type-graphql';
import { Column, Entity } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { TagsColumn } from '../../kernel/records/tags';
import { CurrencyScalar, DecimalScalar } from '../../kernel/scalars';

/** Something the workspace sells, at a list price in one currency; order lines name it. */
@Entity('products')
@ObjectType({ implements: Node })
export class Product extends TenantRecord {
  readonly nodeType = 'Product' as const;

  @Field({ description: 'Stock keeping unit, unique among live products (ignoring case), e.g. "SKU-1001".' })
  @Column()
  sku: string;

  @Field() @Column() name: string;

  @Field(() => String, { nullable: true }) @Column({ type: 'text', nullable: true }) description: string | null;

  @Field(() => DecimalScalar, { description: 'List price per unit in `currency`; new order lines take it as their unit price by default.' })
  @Column({ type: 'numeric' })
  price: string;

  @Field(() => CurrencyScalar) @Column({ type: 'char', length: 3 }) currency: string;

  @Field({ description: 'Offered for new orders; an inactive product stays on the orders that already have it.' })
  @Column({ default: true })
  active: boolean;

  @TagsColumn() tags: string[];
}
