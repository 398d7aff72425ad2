import DataLoader from 'dataloader';
import type { RequestContext } from '../../kernel/context';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { ListArgs } from '../../kernel/records/list-args';
import { normalizeTags } from '../../kernel/records/tags';
import type { Alongside } from '../../kernel/records/record-store';
import { membersService } from '../identity/members.service';
import type { Product } from './product.entity';
import type { CreateProductInput, ProductFilter, ProductInput, ProductOrderField } from './product.inputs';
import { products } from './product.model';

export { products };

/** Input → columns: text trimmed, tags normalized. A taken SKU is refused by `products_sku_key` (CONFLICT on `sku`). */
export function productColumns(input: ProductInput): Partial<Product> {
  return { ...input, sku: input.sku?.trim(), name: input.name?.trim(), tags: normalizeTags(input.tags) };
}

/** The workspace's default currency, read once for the products a bulk upsert creates together. */
const defaultCurrency = (ctx: RequestContext): Promise<string> =>
  ctx
    .loader('Workspace:defaultCurrency', () =>
      new DataLoader<string, string>(async (ids) => {
        const { defaultCurrency: currency } = await membersService.workspace(ctx);
        return ids.map(() => currency);
      }),
    )
    .load(ctx.workspaceId);

/** A new product's columns: the workspace's currency unless one is given. */
export async function newProductColumns(ctx: RequestContext, input: CreateProductInput): Promise<Partial<Product>> {
  return { ...productColumns(input), currency: input.currency ?? (await defaultCurrency(ctx)) };
}

export const productService = {
  load: (ctx: RequestContext, id: string | null | undefined) => products.load(ctx, id),

  get: (ctx: RequestContext, id: string) => products.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<ProductFilter, ProductOrderField>): Promise<Connection<Product>> => products.list(ctx, args),

  /** `alongside` runs in the write before the created event (an upsert links the external ref there). */
  async create(ctx: RequestContext, input: CreateProductInput, alongside?: Alongside<Product>): Promise<Product> {
    const values = await newProductColumns(ctx, input);
    return ctx.db.write((em) => products.insert(ctx, em, values, alongside));
  },

  /** A new price applies to order lines added later; existing lines keep the unit price they were given. */
  update: (ctx: RequestContext, id: string, input: ProductInput, expectedVersion?: number | null, alongside?: Alongside<Product>): Promise<Product> =>
    ctx.db.write((em) => products.update(ctx, em, id, productColumns(input), expectedVersion, alongside)),

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => products.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => products.restore(ctx, em, id)),
};

registerNodeType('Product', productService.load);
