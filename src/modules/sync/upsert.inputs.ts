import { ArrayMaxSize, IsDefined, Length, ValidateIf } from 'class-validator';
import { Field, ID, InputType, type ClassType } from 'type-graphql';
import { IfSet } from '../../kernel/validation';
import { ExternalRefInput } from '../../kernel/records/external-refs';
import { CreateAccountInput } from '../accounts';
import { CreateContactInput } from '../contacts';
import { CreateDealInput, type DealHistoryInput, MAX_STAGE_HISTORY, StageHistoryEntryInput } from '../deals';
import { CreateOrderInput, OrderLineInput } from '../orders';
import { CreateProductInput } from '../products';
import { CreateTicketInput, TicketCategory, TicketPriority, type TicketHistoryInput } from '../tickets';

/** What every upsert input adds to the object's create fields. */
export interface SyncFields {
  externalRef?: ExternalRefInput | null;
  syncSource?: string | null;
  createdAt?: Date | null;
}

const HISTORY = 'Needs history:write (see docs/sync.md, History on import); not in the future.';

/** Adds `externalRef` and `syncSource` to a create input (a type-graphql mixin; only its subclass is reachable in the schema). */
function Syncable<T extends ClassType>(Base: T) {
  @InputType(`${Base.name}Syncable`)
  class SyncableInput extends Base implements SyncFields {
    @Field(() => ExternalRefInput, { nullable: true, description: 'The record’s id in the sending system: matched first, attached when missing.' })
    externalRef?: ExternalRefInput | null;

    @Field(() => String, {
      nullable: true,
      description: 'The source whose field ownership applies (see setFieldOwner). Default: externalRef.system, else "crm".',
    })
    syncSource?: string | null;

    @Field(() => Date, { nullable: true, description: `When the record was created, e.g. in the system it comes from. ${HISTORY}` })
    @ValidateIf((_input, value) => value !== undefined)
    @IsDefined({ message: 'createdAt cannot be cleared; leave it out to keep the record’s' })
    createdAt?: Date | null;
  }
  return SyncableInput;
}

const ACCOUNT_REF = 'The account by its id in another system, instead of accountId.';
const CONTACT_REF = 'The contact by its id in another system, instead of its id.';

@InputType({ description: 'An account to create or update: matched by externalRef, else by domain.' })
export class UpsertAccountInput extends Syncable(CreateAccountInput) {}

@InputType({ description: 'A contact to create or update: matched by externalRef, else by email (ignoring case).' })
export class UpsertContactInput extends Syncable(CreateContactInput) {
  @Field(() => ExternalRefInput, { nullable: true, description: ACCOUNT_REF }) accountRef?: ExternalRefInput | null;
}

@InputType({ description: 'A deal to create or update: matched by externalRef (required). pipelineId, stageId and contacts apply on create only.' })
export class UpsertDealInput extends Syncable(CreateDealInput) implements DealHistoryInput {
  @Field(() => ExternalRefInput, { nullable: true, description: ACCOUNT_REF }) accountRef?: ExternalRefInput | null;
  @Field(() => ExternalRefInput, { nullable: true, description: `${CONTACT_REF} Sets primaryContactId.` }) contactRef?: ExternalRefInput | null;

  @Field(() => Date, {
    nullable: true,
    description: `When a won or lost deal closed; default with stageHistory: when it entered its WON or LOST stage. ${HISTORY}`,
  })
  closedAt?: Date | null;

  @Field(() => String, { nullable: true, description: `Why a lost deal was lost (as loseDeal records it). ${HISTORY}` })
  @IfSet()
  @Length(1, 500)
  lostReason?: string | null;

  @Field(() => [StageHistoryEntryInput], {
    nullable: true,
    description:
      'Every stage the deal entered, oldest first; the last is its stage (on create any stage of the pipeline, WON and LOST too, ' +
      `with the status of its kind; on update its current stage). Its stage history becomes exactly this list. At most ${MAX_STAGE_HISTORY}. ${HISTORY}`,
  })
  @IfSet()
  @ArrayMaxSize(MAX_STAGE_HISTORY)
  stageHistory?: StageHistoryEntryInput[] | null;
}

@InputType({ description: 'A ticket to create or update: matched by externalRef (required). assigneeId applies on create only.' })
export class UpsertTicketInput extends Syncable(CreateTicketInput) implements TicketHistoryInput {
  @Field(() => TicketPriority, { nullable: true, description: 'Default on create: NORMAL.' }) declare priority: TicketPriority;
  @Field(() => TicketCategory, { nullable: true, description: 'Default on create: QUESTION.' }) declare category: TicketCategory;
  @Field(() => ExternalRefInput, { nullable: true, description: ACCOUNT_REF }) accountRef?: ExternalRefInput | null;
  @Field(() => ExternalRefInput, { nullable: true, description: `${CONTACT_REF} Sets contactId.` }) contactRef?: ExternalRefInput | null;

  @Field(() => Date, { nullable: true, description: `When the customer first got an answer: a new ticket is then OPEN; an existing one must be past NEW. ${HISTORY}` })
  firstResponseAt?: Date | null;

  @Field(() => Date, { nullable: true, description: `When the ticket was resolved (needs firstResponseAt): a new ticket is then RESOLVED; an existing one must be RESOLVED or CLOSED. ${HISTORY}` })
  resolvedAt?: Date | null;
}

@InputType({ description: 'A product to create or update: matched by externalRef, else by sku (ignoring case).' })
export class UpsertProductInput extends Syncable(CreateProductInput) {}

@InputType({ description: 'An order line whose product is named by productId, productRef or productSku (exactly one).' })
export class UpsertOrderLineInput extends OrderLineInput {
  @Field(() => ID, { nullable: true }) declare productId: string;
  @Field(() => ExternalRefInput, { nullable: true, description: 'The product by its id in another system.' }) productRef?: ExternalRefInput | null;
  @Field(() => String, { nullable: true, description: 'The live product with this SKU (ignoring case).' }) productSku?: string | null;
}

@InputType({ description: 'An order to create or update: matched by externalRef, else by number (ignoring case). A changed status moves the order (changeOrderStatus rules).' })
export class UpsertOrderInput extends Syncable(CreateOrderInput) {
  @Field(() => ID, { nullable: true, description: 'A live account; or accountRef. Required on create.' }) declare accountId: string;
  @Field(() => ExternalRefInput, { nullable: true, description: ACCOUNT_REF }) accountRef?: ExternalRefInput | null;
  @Field(() => ExternalRefInput, { nullable: true, description: `${CONTACT_REF} Sets contactId.` }) contactRef?: ExternalRefInput | null;
  @Field(() => [UpsertOrderLineInput], { nullable: true, description: 'Replaces all lines when they differ; the totals are recomputed.' })
  declare lines?: UpsertOrderLineInput[];
}
