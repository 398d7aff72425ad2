import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Account, accountService } from '../accounts';
import { membersService, User } from '../identity';
import { Contact } from './contact.entity';
import { ContactInput, ContactListArgs, CreateContactInput } from './contact.inputs';
import { contacts, contactService } from './contact.service';
import { ExternalRefInput, lookupId } from '../../kernel/records/external-refs';

export const ContactConnection = connectionType(Contact, 'Contact');

@Resolver(() => Contact)
export class ContactResolver {
  @Authorized(Permission.READ)
  @Query(() => Contact, { description: 'One contact by id or by its id in another system (also when in the trash).' })
  contact(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalRef', () => ExternalRefInput, { nullable: true, description: 'Instead of id.' }) externalRef?: ExternalRefInput | null,
  ): Promise<Contact> {
    return lookupId(ctx, 'Contact', id, externalRef).then((uuid) => contactService.get(ctx, uuid));
  }

  @Authorized(Permission.READ)
  @Query(() => ContactConnection)
  contacts(@Ctx() ctx: RequestContext, @Args() args: ContactListArgs) {
    return contactService.list(ctx, args);
  }

  @Authorized(Permission.WRITE_CONTACTS)
  @Mutation(() => Contact)
  createContact(@Ctx() ctx: RequestContext, @Arg('input') input: CreateContactInput): Promise<Contact> {
    return contactService.create(ctx, input);
  }

  @Authorized(Permission.WRITE_CONTACTS)
  @Mutation(() => Contact)
  updateContact(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ContactInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Contact> {
    return contactService.update(ctx, decodeId('Contact', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Contact, { description: 'Moves the contact to the trash.' })
  deleteContact(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Contact> {
    return contactService.delete(ctx, decodeId('Contact', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.DELETE_RECORDS)
  @Mutation(() => Contact, { description: 'Brings the contact back from the trash.' })
  restoreContact(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Contact> {
    return contactService.restore(ctx, decodeId('Contact', id, 'id'));
  }

  @FieldResolver(() => Account, { nullable: true, description: 'The account the contact works for (also when in the trash).' })
  account(@Ctx() ctx: RequestContext, @Root() contact: Contact): Promise<Account | null> {
    return accountService.load(ctx, contact.accountId);
  }

  @FieldResolver(() => User, { nullable: true })
  owner(@Ctx() ctx: RequestContext, @Root() contact: Contact): Promise<User | null> {
    return membersService.loadUser(ctx, contact.ownerId);
  }
}

/** `Account.contacts`: lives here so the accounts module does not depend on contacts. */
@Resolver(() => Account)
export class AccountContactsResolver {
  @FieldResolver(() => ContactConnection, { description: 'Contacts working for the account; newest first by default.' })
  contacts(@Ctx() ctx: RequestContext, @Root() account: Account, @Args() args: ContactListArgs) {
    return contacts.listForParent(ctx, { column: 'account_id', parentId: account.id }, args);
  }
}
