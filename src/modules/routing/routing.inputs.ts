import { Field, ID, InputType, Int } from 'type-graphql';
import { ArrayMaxSize, IsISO31661Alpha2, Length, MaxLength, Min, ValidateNested } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { ContactInput } from '../contacts';
import { DealInput } from '../deals';
import { RoutingObjectType, RoutingStrategy } from './routing-rule.entity';

export const MAX_TERRITORIES = 500;

@InputType({ description: 'A territory of a TERRITORY rule; parts left out match anything.' })
export class TerritoryInput {
  @Field(() => String, { nullable: true }) @IfSet() @IsISO31661Alpha2({ message: 'country must be an ISO 3166-1 alpha-2 code such as DE' }) country?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @Length(1, 100) region?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @Length(1, 20) postcodePrefix?: string | null;
  @Field(() => ID, { description: 'The member who gets records in this territory.' }) userId: string;
}

@InputType({ description: 'Fields of a routing rule; on update, omitted fields stay as they are and null clears.' })
export class RoutingRuleInput {
  @Field({ nullable: true }) @IfPresent() @Length(1, 200) @NotBlank() name?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'A ContactFilter or DealFilter as JSON, e.g. { "country": { "in": ["DE", "AT"] } }; null matches every record.',
  })
  condition?: Record<string, unknown> | null;

  @Field(() => RoutingStrategy, { nullable: true }) @IfPresent() strategy?: RoutingStrategy;
  @Field(() => ID, { nullable: true, description: 'FIXED_USER: the member who gets every matching record.' }) userId?: string | null;
  @Field(() => ID, { nullable: true, description: 'ROUND_ROBIN and LEAST_LOADED: the team to assign among.' }) teamId?: string | null;

  @Field(() => [TerritoryInput], { nullable: true, description: 'TERRITORY: the territories and their members.' })
  @IfSet()
  @ArrayMaxSize(MAX_TERRITORIES)
  @ValidateNested({ each: true })
  territories?: TerritoryInput[] | null;

  @Field({ nullable: true }) @IfPresent() enabled?: boolean;
}

@InputType()
export class CreateRoutingRuleInput extends RoutingRuleInput {
  @Field() @Length(1, 200) @NotBlank() declare name: string;
  @Field(() => RoutingObjectType) objectType: RoutingObjectType;
  @Field(() => RoutingStrategy) declare strategy: RoutingStrategy;
  @Field(() => Int, { nullable: true, description: 'Where to insert it (0 = tried first). Default: last.' }) @IfSet() @Min(0) position?: number | null;
}

@InputType()
export class CreateTeamInput {
  @Field() @Length(1, 100) @NotBlank() name: string;
}

@InputType({ description: 'A member’s availability for routing; omitted fields stay as they are and null clears.' })
export class MemberAvailabilityInput {
  @Field(() => ID, { nullable: true, description: 'Default: yourself. Others (and capacities) need routing:manage.' }) userId?: string | null;
  @Field({ nullable: true, description: 'Out of office: routing skips the member.' }) @IfPresent() unavailable?: boolean;
  @Field(() => Date, { nullable: true, description: 'Out of office until this time (then available again).' }) until?: Date | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(200) note?: string | null;
  @Field(() => Int, { nullable: true }) @IfSet() @Min(0) maxOpenDeals?: number | null;
  @Field(() => Int, { nullable: true }) @IfSet() @Min(0) maxContacts?: number | null;
}

@InputType({ description: 'A hypothetical contact or deal (give exactly one); its owner is ignored.' })
export class SimulateRoutingInput {
  @Field(() => ContactInput, { nullable: true }) @IfSet() @ValidateNested() contact?: ContactInput | null;
  @Field(() => DealInput, { nullable: true }) @IfSet() @ValidateNested() deal?: DealInput | null;
}
