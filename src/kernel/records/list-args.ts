import { Field, InputType, registerEnumType } from 'type-graphql';
import type { PageArgs } from '../pagination/connection';

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection' });

/** How an order field over text sorts (its stored sort key, migration 1763800000030), for the enum value's description. */
export const TEXT_ORDER = {
  description: 'Alphabetical, ignoring case and accents, with ä, ö, ü, ß as ae, oe, ue, ss (as startsWith matches); ties by id.',
};

export interface OrderInput<O extends string> {
  field: O;
  direction: SortDirection;
}

/** `<Name>Order { field: <Name>OrderField!, direction: SortDirection! }` for one order-field enum. */
export function orderInputType<O extends Record<string, string>>(fieldEnum: O, name: string) {
  @InputType(`${name}Order`)
  class Order implements OrderInput<O[keyof O]> {
    @Field(() => fieldEnum) field: O[keyof O];
    @Field(() => SortDirection, { defaultValue: SortDirection.ASC }) direction: SortDirection;
  }
  return Order;
}

export interface ListArgs<F, O extends string> extends PageArgs {
  filter?: F | null;
  orderBy?: OrderInput<O>[] | null;
  search?: string | null;
  withDeleted?: boolean | null;
}
