import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsIn, Length, Matches, MaxLength } from 'class-validator';
import { TagsInput } from '../../kernel/records/tags';
import {
  DateFilter,
  DateTimeFilter,
  DecimalFilter,
  enumFilter,
  IDFilter,
  StringFilter,
  type EnumFilterOf,
  TagsFilter,
} from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput } from '../../kernel/records/list-args';
import { CurrencyScalar, DecimalScalar, LocalDateScalar } from '../../kernel/scalars';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { ForecastCategory } from '../pipelines';
import { DealContactRole } from './deal-contact.entity';
import { DealStatus, type Deal } from './deal.entity';

const NON_NEGATIVE_DECIMAL = /^\d+(\.\d+)?$/;
/** CLOSED is a won deal's by its status, never set by hand: an open deal is not closed. */
const DEAL_FORECAST_CATEGORIES = Object.values(ForecastCategory).filter((category) => category !== ForecastCategory.CLOSED);
export const MAX_DEAL_CONTACTS = 50;

type DealReferences = 'accountId' | 'primaryContactId' | 'ownerId' | 'pipelineId' | 'stageId';

@InputType({ description: 'Fields of a deal; on update, omitted fields stay as they are and null clears. Stage and status change through moveDeal, winDeal and loseDeal.' })
export class DealInput implements Partial<Omit<Deal, DealReferences>> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 200) @NotBlank() name?: string;

  @Field(() => DecimalScalar, { nullable: true })
  @IfPresent()
  @Matches(NON_NEGATIVE_DECIMAL, { message: 'amount must not be negative' })
  amount?: string;

  @Field(() => CurrencyScalar, { nullable: true }) @IfPresent() @NotBlank() currency?: string;

  @Field(() => LocalDateScalar, { nullable: true }) expectedCloseDate?: string | null;

  @Field(() => String, { nullable: true, description: 'Where the lead came from, e.g. "webinar".' }) @IfSet() @MaxLength(100) source?: string | null;

  @Field(() => ID, { nullable: true }) accountId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Any live contact; it need not work for the deal’s account.' })
  primaryContactId?: string | null;

  @Field(() => ID, { nullable: true, description: 'A user who is a member of this workspace.' }) ownerId?: string | null;
  @TagsInput() tags?: string[];

  @Field(() => ForecastCategory, {
    nullable: true,
    description: 'Overrides the stage’s forecast category while the deal is open (not CLOSED: a deal is CLOSED by being won); null clears. A won deal counts as CLOSED, a lost one as OMITTED, whatever is set.',
  })
  @IfSet()
  @IsIn(DEAL_FORECAST_CATEGORIES, { message: `forecastCategory must be one of ${DEAL_FORECAST_CATEGORIES.join(', ')}: a deal is CLOSED by being won` })
  forecastCategory?: ForecastCategory | null;
}

@InputType()
export class DealContactInput {
  @Field(() => ID) contactId: string;
  @Field(() => DealContactRole, { defaultValue: DealContactRole.OTHER }) role: DealContactRole;
}

@InputType({ description: 'A new deal; amount defaults to 0 and currency to the workspace’s default currency.' })
export class CreateDealInput extends DealInput {
  @Field() @Length(1, 200) @NotBlank() declare name: string;

  @Field(() => ID, { nullable: true, description: 'Default: the default pipeline.' }) pipelineId?: string;

  @Field(() => ID, { nullable: true, description: 'An OPEN stage of the pipeline. Default: its first OPEN stage.' })
  stageId?: string;

  @Field(() => [DealContactInput], { nullable: true, description: `Up to ${MAX_DEAL_CONTACTS} distinct contacts with their roles.` })
  @IfSet()
  @ArrayMaxSize(MAX_DEAL_CONTACTS)
  contacts?: DealContactInput[] | null;
}

export const DealStatusFilter = enumFilter(DealStatus, 'DealStatus');

@InputType()
export class DealFilter {
  @Field(() => StringFilter, { nullable: true }) name?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) currency?: StringFilter;
  @Field(() => DecimalFilter, { nullable: true }) amount?: DecimalFilter;
  @Field(() => DealStatusFilter, { nullable: true }) status?: EnumFilterOf<DealStatus>;
  @Field(() => StringFilter, { nullable: true }) source?: StringFilter;
  @Field(() => StringFilter, { nullable: true, description: 'The industry of the deal’s account.' }) accountIndustry?: StringFilter;
  @Field(() => StringFilter, { nullable: true, description: 'The country of the deal’s account.' }) accountCountry?: StringFilter;
  @Field(() => IDFilter, { nullable: true }) pipelineId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) stageId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) accountId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) primaryContactId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) ownerId?: IDFilter;
  @Field(() => TagsFilter, { nullable: true }) tags?: TagsFilter;
  @Field(() => DateFilter, { nullable: true }) expectedCloseDate?: DateFilter;
  @Field(() => DateTimeFilter, { nullable: true }) closedAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => [DealFilter], { nullable: true }) and?: DealFilter[];
  @Field(() => [DealFilter], { nullable: true }) or?: DealFilter[];
  @Field(() => DealFilter, { nullable: true }) not?: DealFilter;
}

export enum DealOrderField {
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  NAME = 'NAME',
  AMOUNT = 'AMOUNT',
  EXPECTED_CLOSE_DATE = 'EXPECTED_CLOSE_DATE',
}
registerEnumType(DealOrderField, { name: 'DealOrderField', valuesConfig: { NAME: TEXT_ORDER } });
export const DealOrder = orderInputType(DealOrderField, 'Deal');

@ArgsType()
export class DealListArgs extends PageArgs {
  @Field(() => DealFilter, { nullable: true }) filter?: DealFilter;
  @Field(() => [DealOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: OrderInput<DealOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the name, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include deals in the trash.' }) withDeleted?: boolean;
}
