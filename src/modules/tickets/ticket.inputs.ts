import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { TagsInput } from '../../kernel/records/tags';
import { IsEnum, Length, MaxLength } from 'class-validator';
import { DateTimeFilter, enumFilter, IDFilter, StringFilter, type EnumFilterOf, TagsFilter } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, type OrderInput } from '../../kernel/records/list-args';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { TicketCategory, TicketPriority, TicketStatus, type Ticket } from './ticket.entity';

@InputType({ description: 'Fields of a ticket; on update, omitted fields stay as they are and null clears. Status and assignee change through their own mutations.' })
export class TicketInput implements Partial<Omit<Ticket, 'accountId' | 'contactId'>> {
  @Field({ nullable: true }) @IfPresent() @Length(1, 300) @NotBlank() subject?: string;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(20000) description?: string | null;

  @Field(() => TicketPriority, { nullable: true })
  @IfPresent()
  @IsEnum(TicketPriority, { message: 'priority must be one of LOW, NORMAL, HIGH, URGENT' })
  priority?: TicketPriority;

  @Field(() => TicketCategory, { nullable: true })
  @IfPresent()
  @IsEnum(TicketCategory, { message: 'category must be one of QUESTION, PROBLEM, COMPLAINT, REQUEST' })
  category?: TicketCategory;

  @Field(() => ID, { nullable: true, description: 'The account the ticket is about.' }) accountId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The person who raised it; need not belong to the account.' })
  contactId?: string | null;
  @TagsInput() tags?: string[];
}

@InputType()
export class CreateTicketInput extends TicketInput {
  @Field() @Length(1, 300) @NotBlank() declare subject: string;

  @Field(() => TicketPriority, { defaultValue: TicketPriority.NORMAL }) declare priority: TicketPriority;
  @Field(() => TicketCategory, { defaultValue: TicketCategory.QUESTION }) declare category: TicketCategory;

  @Field(() => ID, { nullable: true, description: 'A user who is a member of this workspace.' }) assigneeId?: string | null;
}

const TicketStatusFilter = enumFilter(TicketStatus, 'TicketStatus');
const TicketPriorityFilter = enumFilter(TicketPriority, 'TicketPriority');
const TicketCategoryFilter = enumFilter(TicketCategory, 'TicketCategory');

@InputType()
export class TicketFilter {
  @Field(() => StringFilter, { nullable: true }) subject?: StringFilter;
  @Field(() => TicketStatusFilter, { nullable: true }) status?: EnumFilterOf<TicketStatus>;
  @Field(() => TicketPriorityFilter, { nullable: true }) priority?: EnumFilterOf<TicketPriority>;
  @Field(() => TicketCategoryFilter, { nullable: true }) category?: EnumFilterOf<TicketCategory>;
  @Field(() => IDFilter, { nullable: true }) accountId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) contactId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) assigneeId?: IDFilter;
  @Field(() => DateTimeFilter, { nullable: true }) firstResponseAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) resolvedAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) firstResponseDueAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) resolutionDueAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => TagsFilter, { nullable: true }) tags?: TagsFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => [TicketFilter], { nullable: true }) and?: TicketFilter[];
  @Field(() => [TicketFilter], { nullable: true }) or?: TicketFilter[];
  @Field(() => TicketFilter, { nullable: true }) not?: TicketFilter;
}

/**
 * No PRIORITY: the column holds the names, whose alphabetical order (HIGH, LOW, NORMAL, URGENT)
 * is not urgency, and the record store orders by plain columns only. Filter on priority instead.
 */
export enum TicketOrderField {
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  PRIORITY = 'PRIORITY',
}
registerEnumType(TicketOrderField, {
  name: 'TicketOrderField',
  valuesConfig: { PRIORITY: { description: 'By urgency: DESC puts URGENT first, then HIGH, NORMAL, LOW.' } },
});
export const TicketOrder = orderInputType(TicketOrderField, 'Ticket');

@ArgsType()
export class TicketListArgs extends PageArgs {
  @Field(() => TicketFilter, { nullable: true }) filter?: TicketFilter;
  @Field(() => [TicketOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: OrderInput<TicketOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the subject, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include tickets in the trash.' }) withDeleted?: boolean;
}
