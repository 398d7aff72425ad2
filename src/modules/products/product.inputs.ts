import { ArgsType, Field, InputType, registerEnumType } from 'type-graphql';
import { Length, Matches, MaxLength } from 'class-validator';
import { BooleanFilter, DateTimeFilter, DecimalFilter, StringFilter, TagsFilter } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput } from '../../kernel/records/list-args';
import { TagsInput } from '../../kernel/records/tags';
import { CurrencyScalar, DecimalScalar } from '../../kernel/scalars';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import type { Product } from './product.entity';

export const NON_NEGATIVE_DECIMAL = /^\d+(\.\d+)?$/;

@InputType({ description: 'Fields of a product; on update, omitted fields stay as they are and null clears.' })
export class ProductInput implements Partial<Product> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 100) @NotBlank() sku?: string;
  @Field({ nullable: true }) @IfPresent() @Length(1, 200) @NotBlank() name?: string;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(5000) description?: string | null;
  @Field(() => DecimalScalar, { nullable: true }) @IfPresent() @Matches(NON_NEGATIVE_DECIMAL, { message: 'price must not be negative' }) price?: string;
  @Field(() => CurrencyScalar, { nullable: true }) @IfPresent() @NotBlank() currency?: string;
  @Field({ nullable: true }) @IfPresent() active?: boolean;
  @TagsInput() tags?: string[];
}

@InputType({ description: 'A new product; currency defaults to the workspace’s default currency, active to true.' })
export class CreateProductInput extends ProductInput {
  @Field() @Length(1, 100) @NotBlank() declare sku: string;
  @Field() @Length(1, 200) @NotBlank() declare name: string;
  @Field(() => DecimalScalar) @Matches(NON_NEGATIVE_DECIMAL, { message: 'price must not be negative' }) declare price: string;
}

@InputType()
export class ProductFilter {
  @Field(() => StringFilter, { nullable: true }) sku?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) name?: StringFilter;
  @Field(() => DecimalFilter, { nullable: true }) price?: DecimalFilter;
  @Field(() => StringFilter, { nullable: true }) currency?: StringFilter;
  @Field(() => BooleanFilter, { nullable: true }) active?: BooleanFilter;
  @Field(() => TagsFilter, { nullable: true }) tags?: TagsFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => [ProductFilter], { nullable: true }) and?: ProductFilter[];
  @Field(() => [ProductFilter], { nullable: true }) or?: ProductFilter[];
  @Field(() => ProductFilter, { nullable: true }) not?: ProductFilter;
}

export enum ProductOrderField {
  SKU = 'SKU',
  NAME = 'NAME',
  PRICE = 'PRICE',
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
}
registerEnumType(ProductOrderField, { name: 'ProductOrderField', valuesConfig: { SKU: TEXT_ORDER, NAME: TEXT_ORDER } });
export const ProductOrder = orderInputType(ProductOrderField, 'Product');

@ArgsType()
export class ProductListArgs extends PageArgs {
  @Field(() => ProductFilter, { nullable: true }) filter?: ProductFilter;
  @Field(() => [ProductOrder], { nullable: true, description: 'Default: by SKU.' }) orderBy?: OrderInput<ProductOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the SKU or name, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include products in the trash.' }) withDeleted?: boolean;
}
