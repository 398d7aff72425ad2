import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { TagsInput } from '../../kernel/records/tags';
import { IsISO31661Alpha2, Length, Matches, MaxLength, ValidateBy, isEmail } from 'class-validator';
import { DateFilter, DateTimeFilter, IDFilter, StringFilter, TagsFilter } from '../../kernel/filtering/filter-inputs';
import { PageArgs } from '../../kernel/pagination/connection';
import { orderInputType, TEXT_ORDER, type OrderInput } from '../../kernel/records/list-args';
import { IfPresent, IfSet, NotBlank } from '../../kernel/validation';
import { LocalDateScalar } from '../../kernel/scalars';
import type { Contact } from './contact.entity';

/** An email address; surrounding spaces (as pasted) are allowed here because the service trims them. */
const IsEmailAddress = (): PropertyDecorator =>
  ValidateBy({
    name: 'isEmailAddress',
    validator: {
      validate: (value) => typeof value === 'string' && isEmail(value.trim()),
      defaultMessage: () => 'email must be an email address such as ada@example.com',
    },
  });

@InputType({ description: 'Fields of a contact; on update, omitted fields stay as they are and null clears.' })
export class ContactInput implements Partial<Omit<Contact, 'accountId' | 'ownerId'>> {
  @Field(() => String, { nullable: true }) @IfSet() @Length(1, 100) @NotBlank() firstName?: string | null;
  @Field({ nullable: true }) @IfPresent() @Length(1, 100) @NotBlank() lastName?: string;
  @Field(() => String, { nullable: true, description: 'Unique among the live contacts of the workspace (ignoring case).' })
  @IfSet() @MaxLength(320) @IsEmailAddress()
  email?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(50) @Matches(/^[+0-9 ()./-]+$/, { message: 'phone must contain only digits, spaces and + ( ) . / -' }) phone?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(150) jobTitle?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(100) city?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @IsISO31661Alpha2({ message: 'country must be an ISO 3166-1 alpha-2 code such as DE' }) country?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(100) region?: string | null;
  @Field(() => String, { nullable: true }) @IfSet() @MaxLength(20) postalCode?: string | null;
  @Field(() => String, { nullable: true, description: 'Where the lead came from, e.g. "webinar".' }) @IfSet() @MaxLength(100) source?: string | null;
  @Field(() => LocalDateScalar, { nullable: true, description: 'Date of birth, `YYYY-MM-DD`.' }) birthday?: string | null;
  @Field(() => ID, { nullable: true, description: 'A live account of this workspace the contact works for.' }) accountId?: string | null;
  @Field(() => ID, { nullable: true, description: 'A user who is a member of this workspace.' }) ownerId?: string | null;
  @TagsInput() tags?: string[];
}

@InputType()
export class CreateContactInput extends ContactInput {
  @Field() @Length(1, 100) @NotBlank() declare lastName: string;
}

@InputType()
export class ContactFilter {
  @Field(() => StringFilter, { nullable: true }) firstName?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) lastName?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) email?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) jobTitle?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) city?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) country?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) region?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) postalCode?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) source?: StringFilter;
  @Field(() => StringFilter, { nullable: true, description: 'The industry of the contact’s account.' }) accountIndustry?: StringFilter;
  @Field(() => IDFilter, { nullable: true }) accountId?: IDFilter;
  @Field(() => IDFilter, { nullable: true }) ownerId?: IDFilter;
  @Field(() => DateFilter, { nullable: true }) birthday?: DateFilter;
  @Field(() => TagsFilter, { nullable: true }) tags?: TagsFilter;
  @Field(() => DateTimeFilter, { nullable: true }) createdAt?: DateTimeFilter;
  @Field(() => DateTimeFilter, { nullable: true }) updatedAt?: DateTimeFilter;
  @Field(() => [ContactFilter], { nullable: true }) and?: ContactFilter[];
  @Field(() => [ContactFilter], { nullable: true }) or?: ContactFilter[];
  @Field(() => ContactFilter, { nullable: true }) not?: ContactFilter;
}

export enum ContactOrderField {
  LAST_NAME = 'LAST_NAME',
  FIRST_NAME = 'FIRST_NAME',
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
}
registerEnumType(ContactOrderField, { name: 'ContactOrderField', valuesConfig: { LAST_NAME: TEXT_ORDER, FIRST_NAME: TEXT_ORDER } });
export const ContactOrder = orderInputType(ContactOrderField, 'Contact');

@ArgsType()
export class ContactListArgs extends PageArgs {
  @Field(() => ContactFilter, { nullable: true }) filter?: ContactFilter;
  @Field(() => [ContactOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: OrderInput<ContactOrderField>[];
  @Field({ nullable: true, description: 'Prefix of the first name, last name or email, matched as startsWith (ignoring case and accents).' }) search?: string;
  @Field({ nullable: true, defaultValue: false, description: 'Include contacts in the trash.' }) withDeleted?: boolean;
}
