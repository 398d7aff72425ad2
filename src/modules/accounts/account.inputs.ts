import { ArgsType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { TagsInput } from '../../kernel/records/tags';
import { IsFQDN, IsISO31661Alpha2, IsUrl, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { DateFilter, DateTimeFilter, DecimalFilter, IDFilter, IntFilter, StringFilter, TagsFilter } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput } from '../../kernel/records/list-args';
import { DecimalScalar, LocalDateScalar } from '../../kernel/scalars';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import type { Account } from './account.entity';

const NON_NEGATIVE_DECIMAL = /^\d+(\.\d+)?$/;

@InputType({ description: 'Fields of an account; on update, omitted fields stay as they are and null clears.' })
export class AccountInput implements Partial<Omit<Account, 'ownerId'>> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 200) @NotBlank() name?: string;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(253) @IsFQDN({}, { message: 'domain must be a domain name such as acme.com' }) domain?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(100) industry?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(500) @IsUrl({}, { message: 'website must be a URL' }) website?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(50) @Matches(/^[+0-9 ()./-]+$/, { message: 'phone must contain only digits, spaces and + ( ) . / -' }) phone?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(200) street?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(20) postalCode?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(100) city?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @IsISO31661Alpha2({ message: 'country must be an ISO 3166-1 alpha-2 code such as DE' }) country?: string | null;
  @Field(() => Int, { nullable: true }) @IfSet() @Min(0) @Max(10_000_000) employeeCount?: number | null;
  @Field(() => DecimalScalar, { nullable: true }) @IfSet() @Matches(NON_NEGATIVE_DECIMAL, { message: 'annualRevenue must not be negative' }) annualRevenue?: string | null;
  @Field(() => LocalDateScalar, { nullable: true, description: 'When the contract is up for renewal, `YYYY-MM-DD`.' }) contractRenewalDate?: string | null;
  @Field(() => ID, { nullable: true, description: 'A user who is a member of this workspace.' }) ownerId?: string | null;
  @TagsInput() tags?: string[];
}

@InputType()
export class CreateAccountInput extends AccountInput {
  @Field() @Length(1, 200) @NotBlank() declare name: string;
}

@InputType()
export class AccountFilter {
  @Field(() => StringFilter, { nullable: true }) name?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) domain?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) industry?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) city?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) country?: StringFilter;
  @Field(() => IntFilter, { nullable: true }) employeeCount?: IntFilter;
  @Field(() => DecimalFilter, { nullable: true }) annualRevenue?: DecimalFilter;
  @Field(() => IDFilter, { nullable: true }) ownerId?: IDFilter;
  @Field(() => DateFilter, { nullable: true }) contractRenewalDate?: DateFilter;
  @Field(() => TagsFilter, { nullable: true }) tags?: TagsFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => [AccountFilter], { nullable: true }) and?: AccountFilter[];
  @Field(() => [AccountFilter], { nullable: true }) or?: AccountFilter[];
  @Field(() => AccountFilter, { nullable: true }) not?: AccountFilter;
}

export enum AccountOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  ANNUAL_REVENUE = 'ANNUAL_REVENUE',
}
registerEnumType(AccountOrderField, { name: 'AccountOrderField', valuesConfig: { NAME: TEXT_ORDER } });
export const AccountOrder = orderInputType(AccountOrderField, 'Account');

@ArgsType()
export class AccountListArgs extends PageArgs {
  @Field(() => AccountFilter, { nullable: true }) filter?: AccountFilter;
  @Field(() => [AccountOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: OrderInput<AccountOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the name or domain, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include accounts in the trash.' }) withDeleted?: boolean;
}
