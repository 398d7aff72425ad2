import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../kernel/context';
import { appError, badField } from '../../kernel/errors';
import { decodeId } from '../../kernel/ids';
import { Contact, contactService } from '../contacts';
import { DealContact, type DealContactRole } from './deal-contact.entity';
import type { Deal } from './deal.entity';
import { MAX_DEAL_CONTACTS, type DealContactInput } from './deal.inputs';
import { deals } from './deal.model';

export interface DealContactLink {
  contactId: string;
  role: DealContactRole;
}

/** The live contacts of many deals in one query, oldest link first. */
function linksByDeal(ctx: RequestContext): DataLoader<string, DealContact[]> {
  return ctx.loader('DealContact:byDeal', () =>
    new DataLoader<string, DealContact[]>(async (dealIds) => {
      const rows = await ctx.db.read((em) =>
        em
          .getRepository(DealContact)
          .createQueryBuilder('dc')
          .innerJoin(Contact, 'c', 'c.workspace_id = dc.workspace_id AND c.id = dc.contact_id AND c.deleted_at IS NULL')
          .where('dc.workspace_id = :workspaceId AND dc.deal_id = ANY(:dealIds)', { workspaceId: ctx.workspaceId, dealIds })
          .orderBy('dc.created_at')
          .addOrderBy('dc.contact_id')
          .getMany(),
      );
      return dealIds.map((id) => rows.filter((row) => row.dealId === id));
    }),
  );
}

export const dealContactService = {
  linksOf: (ctx: RequestContext, dealId: string): Promise<DealContact[]> => linksByDeal(ctx).load(dealId),

  /** Contacts named in a create input: decoded, each named once and live; bad ones name their list entry. */
  async checkLinks(ctx: RequestContext, list: DealContactInput[] | null | undefined): Promise<DealContactLink[]> {
    const links = (list ?? []).map((link, i) => ({ contactId: decodeId('Contact', link.contactId, `contacts.${i}.contactId`), role: link.role }));
    links.forEach((link, i) => {
      if (links.findIndex((other) => other.contactId === link.contactId) !== i) {
        throw badField(`contacts.${i}.contactId`, 'names a contact already in the list');
      }
    });
    await Promise.all(links.map((link, i) => contactService.records.requireReference(ctx, link.contactId, `contacts.${i}.contactId`)));
    return links;
  },

  /** Links new deals' contacts inside the caller's write, in one statement. */
  async insertLinks(ctx: RequestContext, em: EntityManager, links: Array<DealContactLink & { dealId: string }>): Promise<void> {
    if (links.length === 0) return;
    await em.getRepository(DealContact).insert(links.map((link) => ({ ...link, workspaceId: ctx.workspaceId })));
    ctx.forgetWrites();
  },

  /** Adds a contact to the deal, or changes its role when it is already there; raises the deal's version. */
  async link(ctx: RequestContext, dealId: string, contactId: string, role: DealContactRole, expectedVersion?: number | null): Promise<Deal> {
    await contactService.records.requireReference(ctx, contactId, 'contactId');
    return ctx.db.write(async (em) => {
      const deal = await deals.update(ctx, em, dealId, {}, expectedVersion);
      const repository = em.getRepository(DealContact);
      const linked = await repository.existsBy({ workspaceId: ctx.workspaceId, dealId, contactId });
      if (!linked && (await repository.countBy({ workspaceId: ctx.workspaceId, dealId })) >= MAX_DEAL_CONTACTS) {
        throw appError('CONFLICT', `A deal has at most ${MAX_DEAL_CONTACTS} contacts`);
      }
      await (linked
        ? repository.update({ workspaceId: ctx.workspaceId, dealId, contactId }, { role })
        : repository.insert({ workspaceId: ctx.workspaceId, dealId, contactId, role }));
      ctx.clearLoaders();
      return deal;
    });
  },

  /** Takes a contact off the deal; raises the deal's version. */
  unlink(ctx: RequestContext, dealId: string, contactId: string, expectedVersion?: number | null): Promise<Deal> {
    return ctx.db.write(async (em) => {
      const deal = await deals.update(ctx, em, dealId, {}, expectedVersion);
      const removed = await em.getRepository(DealContact).delete({ workspaceId: ctx.workspaceId, dealId, contactId });
      if (!removed.affected) throw badField('contactId', 'is not a contact of this deal');
      ctx.clearLoaders();
      return deal;
    });
  },
};
