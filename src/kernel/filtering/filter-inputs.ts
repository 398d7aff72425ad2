import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, MaxLength } from 'class-validator';
import { DecimalScalar, LocalDateScalar } from '../scalars';
import type { ClassType } from 'type-graphql';

const MAX_LIST = 1000;

@InputType({
  description:
    'Conditions on a text field. contains ignores case. startsWith ignores case and accents and reads ä, ö, ü, ß as ae, oe, ue, ss, ' +
    'as text is ordered ("mue" finds Müller and Mueller); eq, ne, in, notIn, lt, lte, gt, gte compare the exact text.',
})
export class StringFilter {
  @Field({ nullable: true }) @MaxLength(500) eq?: string;
  @Field({ nullable: true }) @MaxLength(500) ne?: string;
  @Field(() => [String], { nullable: true }) @ArrayMaxSize(MAX_LIST) in?: string[];
  @Field(() => [String], { nullable: true }) @ArrayMaxSize(MAX_LIST) notIn?: string[];
  @Field({ nullable: true }) @MaxLength(500) lt?: string;
  @Field({ nullable: true }) @MaxLength(500) lte?: string;
  @Field({ nullable: true }) @MaxLength(500) gt?: string;
  @Field({ nullable: true }) @MaxLength(500) gte?: string;
  @Field({ nullable: true }) @MaxLength(500) contains?: string;
  @Field({ nullable: true }) @MaxLength(500) startsWith?: string;
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType()
export class IntFilter {
  @Field(() => Int, { nullable: true }) eq?: number;
  @Field(() => Int, { nullable: true }) ne?: number;
  @Field(() => [Int], { nullable: true }) @ArrayMaxSize(MAX_LIST) in?: number[];
  @Field(() => [Int], { nullable: true }) @ArrayMaxSize(MAX_LIST) notIn?: number[];
  @Field(() => Int, { nullable: true }) lt?: number;
  @Field(() => Int, { nullable: true }) lte?: number;
  @Field(() => Int, { nullable: true }) gt?: number;
  @Field(() => Int, { nullable: true }) gte?: number;
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType()
export class DecimalFilter {
  @Field(() => DecimalScalar, { nullable: true }) eq?: string;
  @Field(() => DecimalScalar, { nullable: true }) ne?: string;
  @Field(() => [DecimalScalar], { nullable: true }) @ArrayMaxSize(MAX_LIST) in?: string[];
  @Field(() => [DecimalScalar], { nullable: true }) @ArrayMaxSize(MAX_LIST) notIn?: string[];
  @Field(() => DecimalScalar, { nullable: true }) lt?: string;
  @Field(() => DecimalScalar, { nullable: true }) lte?: string;
  @Field(() => DecimalScalar, { nullable: true }) gt?: string;
  @Field(() => DecimalScalar, { nullable: true }) gte?: string;
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType()
export class DateTimeFilter {
  @Field({ nullable: true }) eq?: Date;
  @Field({ nullable: true }) ne?: Date;
  @Field(() => [Date], { nullable: true }) @ArrayMaxSize(MAX_LIST) in?: Date[];
  @Field(() => [Date], { nullable: true }) @ArrayMaxSize(MAX_LIST) notIn?: Date[];
  @Field({ nullable: true }) lt?: Date;
  @Field({ nullable: true }) lte?: Date;
  @Field({ nullable: true }) gt?: Date;
  @Field({ nullable: true }) gte?: Date;
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType()
export class DateFilter {
  @Field(() => LocalDateScalar, { nullable: true }) eq?: string;
  @Field(() => LocalDateScalar, { nullable: true }) ne?: string;
  @Field(() => [LocalDateScalar], { nullable: true }) @ArrayMaxSize(MAX_LIST) in?: string[];
  @Field(() => [LocalDateScalar], { nullable: true }) @ArrayMaxSize(MAX_LIST) notIn?: string[];
  @Field(() => LocalDateScalar, { nullable: true }) lt?: string;
  @Field(() => LocalDateScalar, { nullable: true }) lte?: string;
  @Field(() => LocalDateScalar, { nullable: true }) gt?: string;
  @Field(() => LocalDateScalar, { nullable: true }) gte?: string;
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType()
export class BooleanFilter {
  @Field({ nullable: true }) eq?: boolean;
  @Field({ nullable: true }) ne?: boolean;
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType({ description: 'Conditions on a reference; values are ids of the referenced type.' })
export class IDFilter {
  @Field(() => ID, { nullable: true }) eq?: string;
  @Field(() => ID, { nullable: true }) ne?: string;
  @Field(() => [ID], { nullable: true }) @ArrayMaxSize(MAX_LIST) in?: string[];
  @Field(() => [ID], { nullable: true }) @ArrayMaxSize(MAX_LIST) notIn?: string[];
  @Field({ nullable: true }) isNull?: boolean;
}

@InputType({ description: 'Conditions on a list of tags (exact, case-sensitive).' })
export class TagsFilter {
  @Field({ nullable: true, description: 'Has this tag.' }) @MaxLength(50) has?: string;
  @Field(() => [String], { nullable: true, description: 'Has at least one of these tags.' }) @ArrayMaxSize(MAX_LIST) hasAny?: string[];
  @Field(() => [String], { nullable: true, description: 'Has all of these tags.' }) @ArrayMaxSize(MAX_LIST) hasAll?: string[];
}

export interface EnumFilterOf<T> {
  eq?: T;
  ne?: T;
  in?: T[];
  notIn?: T[];
  isNull?: boolean;
}

/** A filter input for one GraphQL enum, e.g. `enumFilter(DealStatus, 'DealStatus')` → `DealStatusFilter`. */
export function enumFilter<E extends Record<string, string>>(enumType: E, enumName: string): ClassType<EnumFilterOf<E[keyof E]>> {
  @InputType(`${enumName}Filter`)
  class EnumFilter {
    @Field(() => enumType, { nullable: true }) eq?: E[keyof E];
    @Field(() => enumType, { nullable: true }) ne?: E[keyof E];
    @Field(() => [enumType], { nullable: true }) in?: E[keyof E][];
    @Field(() => [enumType], { nullable: true }) notIn?: E[keyof E][];
    @Field({ nullable: true }) isNull?: boolean;
  }
  return EnumFilter;
}
