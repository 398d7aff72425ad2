import type { RequestContext } from '../../kernel/context';
import { normalizeTags } from '../../kernel/records/tags';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { EntityManager } from 'typeorm';
import { createOne, RecordStore, type Alongside, type Creation } from '../../kernel/records/record-store';
import type { ListArgs } from '../../kernel/records/list-args';
import { recordPort } from '../../kernel/records/record-port';
import { accountService } from '../accounts';
import { membersService } from '../identity';
import type { Contact } from './contact.entity';
import type { ContactFilter, ContactInput, ContactOrderField, CreateContactInput } from './contact.inputs';
import { contactModel } from './contact.model';

export const contacts = new RecordStore(contactModel);

/** Input → columns: references decoded and checked, text trimmed, countries upper-cased. Routing simulates with it. */
export async function contactColumns(ctx: RequestContext, input: ContactInput): Promise<Partial<Contact>> {
  const { accountId, ownerId, ...fields } = input;
  return {
    ...fields,
    firstName: fields.firstName?.trim() ?? fields.firstName,
    lastName: fields.lastName?.trim(),
    tags: normalizeTags(fields.tags),
    email: fields.email?.trim() ?? fields.email,
    country: fields.country?.toUpperCase() ?? fields.country,
    accountId: await accountService.records.reference(ctx, accountId, 'accountId'),
    ownerId: await membersService.memberRef(ctx, ownerId, 'ownerId'),
  };
}

/** Contacts created one or many at a time (see Creation). */
export const contactCreation: Creation<Partial<Contact>, Contact> = {
  prepare: (ctx: RequestContext, _em: EntityManager, input: CreateContactInput) => contactColumns(ctx, input),
  insert: (ctx, em, values, alongside) => contacts.insertMany(ctx, em, values, alongside),
};

export const contactService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(contacts),

  load: (ctx: RequestContext, id: string | null | undefined) => contacts.load(ctx, id),

  get: (ctx: RequestContext, id: string) => contacts.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<ContactFilter, ContactOrderField>): Promise<Connection<Contact>> =>
    contacts.list(ctx, args),

  /** `alongside` runs in the write before the created event (an upsert links the external ref there). */
  create: (ctx: RequestContext, input: CreateContactInput, alongside?: Alongside<Contact>): Promise<Contact> => createOne(ctx, contactCreation, input, alongside),

  async update(ctx: RequestContext, id: string, input: ContactInput, expectedVersion?: number | null, alongside?: Alongside<Contact>): Promise<Contact> {
    const patch = await contactColumns(ctx, input);
    return ctx.db.write((em) => contacts.update(ctx, em, id, patch, expectedVersion, alongside));
  },

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => contacts.softDelete(ctx, em, id, expectedVersion)),

  /** Fails with CONFLICT on `email` when a live contact took the email meanwhile (unique index). */
  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => contacts.restore(ctx, em, id)),

  /** Gives the contact an owner chosen by lead routing, inside the caller's transaction (an updated event). */
  setOwner: (ctx: RequestContext, em: EntityManager, id: string, ownerId: string): Promise<Contact> => contacts.update(ctx, em, id, { ownerId }),
};

registerNodeType('Contact', contactService.load);
