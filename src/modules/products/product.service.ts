import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { RequestContext } from '../../kernel/context';
import { registerNodeType } from '../../kernel/node-registry';
import type { Connection } from '../../kernel/pagination/connection';
import type { ListArgs } from '../../kernel/records/list-args';
import { normalizeTags } from '../../kernel/records/tags';
import { createOne, type Alongside, type Creation } from '../../kernel/records/record-store';
import { recordPort } from '../../kernel/records/record-port';
import { membersService } from '../identity';
import type { Product } from './product.entity';
import type { CreateProductInput, ProductFilter, ProductInput, ProductOrderField } from './product.inputs';
import { products } from './product.model';

export { products };

/** Input → columns: text trimmed, tags normalized. A taken SKU is refused by `products_sku_key` (CONFLICT on `sku`). */
export function productColumns(input: ProductInput): Partial<Product> {
  return { ...input, sku: input.sku?.trim(), name: input.name?.trim(), tags: normalizeTags(input.tags) };
}

/** A new product's columns: the workspace's currency unless one is given. */
export function newProductColumns(input: CreateProductInput): QueryDeepPartialEntity<Product> {
  return { ...productColumns(input), currency: input.currency ?? membersService.defaultCurrencySql };
}

/** Products created one or many at a time (see Creation). */
export const productCreation: Creation<QueryDeepPartialEntity<Product>, Product> = {
  prepare: async (_ctx: RequestContext, _em: EntityManager, input: CreateProductInput) => newProductColumns(input),
  insert: (ctx, em, values, alongside) => products.insertMany(ctx, em, values, alongside),
};

/** The live product with this SKU (ignoring case), or null; batched with the request's other SKUs. */
export function liveProductIdBySku(ctx: RequestContext, sku: string): Promise<string | null> {
  const loader = ctx.loader('Product:bySku', () =>
    new DataLoader<string, string | null>(async (skus) => {
      const rows: Array<{ id: string; sku: string }> = await ctx.db.read((em) =>
        em.query(`SELECT id, lower(sku) AS sku FROM products WHERE workspace_id = $1 AND deleted_at IS NULL AND lower(sku) = ANY($2)`, [ctx.workspaceId, skus]),
      );
      const byKey = new Map(rows.map((row) => [row.sku, row.id]));
      return skus.map((key) => byKey.get(key) ?? null);
    }),
  );
  return loader.load(sku.trim().toLowerCase());
}

export const productService = {
  /** For other modules: reads and bulk column updates, not the store (see RecordPort). */
  records: recordPort(products),

  load: (ctx: RequestContext, id: string | null | undefined) => products.load(ctx, id),

  get: (ctx: RequestContext, id: string) => products.require(ctx, id),

  list: (ctx: RequestContext, args: ListArgs<ProductFilter, ProductOrderField>): Promise<Connection<Product>> => products.list(ctx, args),

  /** `alongside` runs in the write before the created event (an upsert links the external ref there). */
  create: (ctx: RequestContext, input: CreateProductInput, alongside?: Alongside<Product>): Promise<Product> => createOne(ctx, productCreation, input, alongside),

  /** A new price applies to order lines added later; existing lines keep the unit price they were given. */
  update: (ctx: RequestContext, id: string, input: ProductInput, expectedVersion?: number | null, alongside?: Alongside<Product>): Promise<Product> =>
    ctx.db.write((em) => products.update(ctx, em, id, productColumns(input), expectedVersion, alongside)),

  delete: (ctx: RequestContext, id: string, expectedVersion?: number | null) =>
    ctx.db.write((em) => products.softDelete(ctx, em, id, expectedVersion)),

  restore: (ctx: RequestContext, id: string) => ctx.db.write((em) => products.restore(ctx, em, id)),
};

registerNodeType('Product', productService.load);
