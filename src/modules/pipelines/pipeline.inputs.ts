import { ArgsType, Field, InputType, Int, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, ArrayMinSize, IsBoolean, Length, Max, Min, ValidateNested } from 'class-validator';
import { BooleanFilter, DateTimeFilter, StringFilter } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput } from '../../kernel/records/list-args';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import type { Pipeline } from './pipeline.entity';
import { ForecastCategory } from './forecast-category';
import { StageKind, type Stage } from './stage.entity';

export const MAX_STAGES = 30;

@InputType({ description: 'Fields of a stage; its kind is fixed when it is created.' })
export class StageInput implements Partial<Stage> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 100) @NotBlank() name?: string;

  @Field(() => Int, { nullable: true, description: 'Win probability in percent.' })
  @IfPresent()
  @Min(0)
  @Max(100)
  probability?: number;

  @Field(() => Int, { nullable: true, description: 'Days without activity before an open deal here gets a follow-up task (1 to 365); null turns it off.' })
  @IfSet()
  @Min(1, { message: 'followUpAfterDays must be between 1 and 365' })
  @Max(365, { message: 'followUpAfterDays must be between 1 and 365' })
  followUpAfterDays?: number | null;

  @Field(() => ForecastCategory, {
    nullable: true,
    description: 'The forecast category of the deals in this stage (an OPEN stage any but CLOSED, a WON stage only CLOSED, a LOST stage only OMITTED); a deal may override it while open; null: the default of its kind (OPEN: PIPELINE, WON: CLOSED, LOST: OMITTED).',
  })
  forecastCategory?: ForecastCategory | null;
}

@InputType()
export class CreateStageInput extends StageInput {
  @Field() @Length(1, 100) @NotBlank() declare name: string;
  @Field(() => Int) @Min(0) @Max(100) declare probability: number;
  @Field(() => StageKind) kind: StageKind;
}

@InputType()
export class AddStageInput extends CreateStageInput {
  @Field(() => Int, { nullable: true, description: 'Where to insert, from 0; later stages move back. Default: at the end.' })
  @IfPresent()
  @Min(0)
  position?: number;
}

@InputType({ description: 'Fields of a pipeline; omitted fields stay as they are.' })
export class PipelineInput implements Partial<Pipeline> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 100) @NotBlank() name?: string;

  @Field({ nullable: true, description: 'Making a pipeline the default takes the flag from the previous default.' })
  @IfPresent()
  @IsBoolean()
  isDefault?: boolean;
}

@InputType()
export class CreatePipelineInput extends PipelineInput {
  @Field() @Length(1, 100) @NotBlank() declare name: string;

  @Field(() => [CreateStageInput], {
    description: `In order; 1 to ${MAX_STAGES} stages with at least one OPEN, exactly one WON and exactly one LOST stage.`,
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STAGES)
  @ValidateNested()
  stages: CreateStageInput[];
}

@InputType()
export class PipelineFilter {
  @Field(() => StringFilter, { nullable: true }) name?: StringFilter;
  @Field(() => BooleanFilter, { nullable: true }) isDefault?: BooleanFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => [PipelineFilter], { nullable: true }) and?: PipelineFilter[];
  @Field(() => [PipelineFilter], { nullable: true }) or?: PipelineFilter[];
  @Field(() => PipelineFilter, { nullable: true }) not?: PipelineFilter;
}

export enum PipelineOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(PipelineOrderField, { name: 'PipelineOrderField', valuesConfig: { NAME: TEXT_ORDER } });
export const PipelineOrder = orderInputType(PipelineOrderField, 'Pipeline');

@ArgsType()
export class PipelineListArgs extends PageArgs {
  @Field(() => PipelineFilter, { nullable: true }) filter?: PipelineFilter;
  @Field(() => [PipelineOrder], { nullable: true, description: 'Default: oldest first.' }) orderBy?: OrderInput<PipelineOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the name, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include pipelines in the trash.' }) withDeleted?: boolean;
}
