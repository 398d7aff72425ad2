import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Node, TenantRecord } from '../../kernel/record';
import { TagsColumn } from '../../kernel/records/tags';
import { CurrencyScalar, DecimalScalar, LocalDateScalar } from '../../kernel/scalars';

export enum OrderStatus {
  DRAFT = 'DRAFT',
  CONFIRMED = 'CONFIRMED',
  SHIPPED = 'SHIPPED',
  INVOICED = 'INVOICED',
  PAID = 'PAID',
  CANCELLED = 'CANCELLED',
}
registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: 'DRAFT → CONFIRMED → SHIPPED → INVOICED → PAID (steps may be skipped forward); CANCELLED from DRAFT or CONFIRMED.',
});

const MONEY = 'Exact, in the order’s currency, rounded half up to the currency’s minor units.';

/** A customer's order: an account, lines of products, and totals the server computes exactly. */
@Entity('orders')
@ObjectType({ implements: Node })
export class Order extends TenantRecord {
  readonly nodeType = 'Order' as const;

  @Field({ description: 'The order number, unique among live orders (ignoring case), e.g. "SO-100042".' })
  @Column()
  number: string;

  @Column('uuid', { name: 'account_id' }) accountId: string;
  @Column('uuid', { name: 'contact_id', nullable: true }) contactId: string | null;

  @Field(() => LocalDateScalar) @Column({ name: 'order_date', type: 'date' }) orderDate: string;

  @Field(() => OrderStatus) @Column({ type: 'varchar' }) status: OrderStatus;

  @Field(() => CurrencyScalar, { description: 'Every line’s product is priced in it.' }) @Column({ type: 'char', length: 3 }) currency: string;

  @Field(() => DecimalScalar, { description: `Sum of the lines’ subtotals (quantity × unit price). ${MONEY}` })
  @Column({ type: 'numeric' })
  subtotal: string;

  @Field(() => DecimalScalar, { description: `Sum of the lines’ discounts. ${MONEY}` })
  @Column({ name: 'discount_total', type: 'numeric' })
  discountTotal: string;

  @Field(() => DecimalScalar, { description: `subtotal − discountTotal: the sum of the lines’ totals. ${MONEY}` })
  @Column({ type: 'numeric' })
  total: string;

  @TagsColumn() tags: string[];
}

/** One line of an order; lines are replaced as a whole with the order. */
@Entity('order_lines')
@ObjectType()
export class OrderLine {
  @PrimaryColumn('uuid', { name: 'workspace_id' }) workspaceId: string;
  @PrimaryColumn('uuid', { name: 'order_id' }) orderId: string;

  @Field(() => Int, { description: 'Place in the order, from 0.' })
  @PrimaryColumn('int')
  position: number;

  @Column('uuid', { name: 'product_id' }) productId: string;

  @Field(() => DecimalScalar, { description: 'More than 0; up to 4 fraction digits.' }) @Column({ type: 'numeric' }) quantity: string;

  @Field(() => DecimalScalar, { description: 'Price per unit; by default the product’s price when the line was written.' })
  @Column({ name: 'unit_price', type: 'numeric' })
  unitPrice: string;

  @Field(() => DecimalScalar, { description: 'Percent off, 0 to 100.' })
  @Column({ name: 'discount_percent', type: 'numeric' })
  discountPercent: string;

  @Field(() => DecimalScalar, { description: `quantity × unitPrice. ${MONEY}` }) @Column({ type: 'numeric' }) subtotal: string;

  @Field(() => DecimalScalar, { description: `subtotal − total. ${MONEY}` })
  @Column({ name: 'discount_amount', type: 'numeric' })
  discountAmount: string;

  @Field(() => DecimalScalar, { description: `quantity × unitPrice × (100 − discountPercent) / 100. ${MONEY}` })
  @Column({ type: 'numeric' })
  total: string;
}
