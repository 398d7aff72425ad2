import { registerNodeType } from '../../kernel/node-registry';
import type { RequestContext } from '../../kernel/context';
import { normalizeTags } from '../../kernel/records/tags';
import type { Connection } from '../../kernel/pagination/connection';
import type { EntityManager } from 'typeorm';
import { createOne, RecordStore, type Alongside, type Creation } from '../../kernel/records/record-store';
import type { ListArgs } from '../../kernel/records/list-args';
import { recordPort } from '../../kernel/records/record-port';
import { membersService } from '../identity';
import type { Account } from './account.entity';
import type { AccountFilter, AccountInput, AccountOrderField, CreateAccountInput } from './account.inputs';
import { accountModel } from './account.model';

export const accounts = new RecordStore(accountModel);

/** Input → columns: references decoded and checked, text trimmed, domains lower-cased. */
export async function accountColumns(ctx: RequestContext, input: AccountInput): Promise<Partial<Account>> {
  const { ownerId, ...fields } = input;
  return {
    ...fields,
    name: fields.name?.trim(),
    tags: normalizeTags(fields.tags),
    domain: fields.domain?.trim().toLowerCase() ?? fields.domain,
    country: fields.country?.toUpperCase() ?? fields.country,
    ownerId: await membersService.memberRef(ctx, ownerId, 'ownerId'),
  };
}

/** Accounts created one or many at a time (see Creation). */
export const accountCreation: Creation<Partial<Account>, Account> = {
  prepare: (ctx: RequestContext, _em: EntityManager, input: CreateAccountInput) => accountColumns(ctx, input),
  insert: (ctx, em, values, alongside) => accounts.insertMany(ctx, em, values, alongside),
};

export const accountService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(accounts),

  load: (ctx: RequestContext, id: string | null | undefined) => accounts.load(ctx, id),

  get: (ctx: RequestContext, id: string) => accounts.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<AccountFilter, AccountOrderField>): Promise<Connection<Account>> =>
    accounts.list(ctx, args),

  /** `alongside` runs in the write before the created event (an upsert links the external ref there). */
  create: (ctx: RequestContext, input: CreateAccountInput, alongside?: Alongside<Account>): Promise<Account> => createOne(ctx, accountCreation, input, alongside),

  async update(ctx: RequestContext, id: string, input: AccountInput, expectedVersion?: number | null, alongside?: Alongside<Account>): Promise<Account> {
    const patch = await accountColumns(ctx, input);
    return ctx.db.write((em) => accounts.update(ctx, em, id, patch, expectedVersion, alongside));
  },

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => accounts.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => accounts.restore(ctx, em, id)),
};

registerNodeType('Account', accountService.load);
