import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, Length } from 'class-validator';
import { DateFilter, DateTimeFilter, DecimalFilter, enumFilter, IDFilter, StringFilter, TagsFilter, type EnumFilterOf } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput as OrderByInput } from '../../kernel/records/list-args';
import { TagsInput } from '../../kernel/records/tags';
import { CurrencyScalar, DecimalScalar, LocalDateScalar } from '../../kernel/scalars';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { OrderStatus, type Order } from './order.entity';

export const MAX_ORDER_LINES = 500;

@InputType({ description: 'One order line; its amounts are computed by the server. Problems are named by path, e.g. `input.lines[2].quantity`.' })
export class OrderLineInput {
  @Field(() => ID, { description: 'A live product priced in the order’s currency; a new line needs an active one.' }) productId: string;
  @Field(() => DecimalScalar, { description: 'More than 0.' }) quantity: string;
  @Field(() => DecimalScalar, { nullable: true, description: 'Default: the product’s current price.' }) unitPrice?: string | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'Percent off, 0 to 100; default 0.' }) discountPercent?: string | null;
}

type OrderReferences = 'accountId' | 'contactId' | 'status';

@InputType({ description: 'Fields of an order; on update, omitted fields stay as they are and null clears. Status changes through changeOrderStatus.' })
export class OrderInput implements Partial<Omit<Order, OrderReferences>> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 50) @NotBlank() number?: string;
  @Field(() => ID, { nullable: true, description: 'A live account.' }) @IfPresent() accountId?: string;
  @Field(() => ID, { nullable: true, description: 'A live contact; it need not work for the account.' }) contactId?: string | null;
  @Field(() => LocalDateScalar, { nullable: true }) @IfPresent() orderDate?: string;
  @Field(() => CurrencyScalar, { nullable: true, description: 'Changing it needs lines priced in the new currency.' }) @IfPresent() @NotBlank() currency?: string;

  @Field(() => [OrderLineInput], { nullable: true, description: `Replaces all lines (at most ${MAX_ORDER_LINES}); the totals are recomputed. Only while DRAFT or CONFIRMED.` })
  @IfPresent()
  @ArrayMaxSize(MAX_ORDER_LINES)
  lines?: OrderLineInput[];

  @TagsInput() tags?: string[];
}

@InputType({ description: 'A new order; currency defaults to the workspace’s, orderDate to today in its time zone, status to DRAFT.' })
export class CreateOrderInput extends OrderInput {
  @Field() @Length(1, 50) @NotBlank() declare number: string;
  @Field(() => ID) declare accountId: string;
  @Field(() => OrderStatus, { nullable: true, description: 'Default DRAFT; orders taken over from another system may start further on.' })
  @IfSet()
  status?: OrderStatus;
}

export const OrderStatusFilter = enumFilter(OrderStatus, 'OrderStatus');

@InputType()
export class OrderFilter {
  @Field(() => StringFilter, { nullable: true }) number?: StringFilter;
  @Field(() => OrderStatusFilter, { nullable: true }) status?: EnumFilterOf<OrderStatus>;
  @Field(() => StringFilter, { nullable: true }) currency?: StringFilter;
  @Field(() => DecimalFilter, { nullable: true }) total?: DecimalFilter;
  @Field(() => DateFilter, { nullable: true }) orderDate?: DateFilter;
  @Field(() => IDFilter, { nullable: true }) accountId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) contactId?: IDFilter;
  @Field(() => TagsFilter, { nullable: true }) tags?: TagsFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => [OrderFilter], { nullable: true }) and?: OrderFilter[];
  @Field(() => [OrderFilter], { nullable: true }) or?: OrderFilter[];
  @Field(() => OrderFilter, { nullable: true }) not?: OrderFilter;
}

export enum OrderOrderField {
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  ORDER_DATE = 'ORDER_DATE',
  NUMBER = 'NUMBER',
  TOTAL = 'TOTAL',
}
registerEnumType(OrderOrderField, { name: 'OrderOrderField', valuesConfig: { NUMBER: TEXT_ORDER } });
export const OrderOrder = orderInputType(OrderOrderField, 'Order');

@ArgsType()
export class OrderListArgs extends PageArgs {
  @Field(() => OrderFilter, { nullable: true }) filter?: OrderFilter;
  @Field(() => [OrderOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: OrderByInput<OrderOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the order number, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include orders in the trash.' }) withDeleted?: boolean;
}
