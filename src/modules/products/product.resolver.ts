import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { Product } from './product.entity';
import { CreateProductInput, ProductInput, ProductListArgs } from './product.inputs';
import { productService } from './product.service';
import { ExternalRefInput, lookupId } from '../../kernel/records/external-refs';

export const ProductConnection = connectionType(Product, 'Product');

@Resolver(() => Product)
export class ProductResolver {
  @Authorized(Permission.READ)
  @Query(() => Product, { description: 'One product by id or by its id in another system (also when in the trash).' })
  product(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalRef', () => ExternalRefInput, { nullable: true, description: 'Instead of id.' }) externalRef?: ExternalRefInput | null,
  ): Promise<Product> {
    return lookupId(ctx, 'Product', id, externalRef).then((uuid) => productService.get(ctx, uuid));
  }

  @Authorized(Permission.READ)
  @Query(() => ProductConnection)
  products(@Ctx() ctx: RequestContext, @Args() args: ProductListArgs) {
    return productService.list(ctx, args);
  }

  @Authorized(Permission.MANAGE_PRODUCTS)
  @Mutation(() => Product)
  createProduct(@Ctx() ctx: RequestContext, @Arg('input') input: CreateProductInput): Promise<Product> {
    return productService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_PRODUCTS)
  @Mutation(() => Product)
  updateProduct(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ProductInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Product> {
    return productService.update(ctx, decodeId('Product', id, 'id'), input, expectedVersion);
  }

  @Authorized(Permission.MANAGE_PRODUCTS)
  @Mutation(() => Product, { description: 'Moves the product to the trash; order lines keep naming it.' })
  deleteProduct(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Product> {
    return productService.delete(ctx, decodeId('Product', id, 'id'), expectedVersion);
  }

  @Authorized(Permission.MANAGE_PRODUCTS)
  @Mutation(() => Product, { description: 'Brings the product back from the trash.' })
  restoreProduct(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Product> {
    return productService.restore(ctx, decodeId('Product', id, 'id'));
  }
}
