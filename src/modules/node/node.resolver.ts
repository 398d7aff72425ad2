import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { parseId } from '../../kernel/ids';
import { nodeLoader } from '../../kernel/node-registry';
import { Node } from '../../kernel/record';

@Resolver()
export class NodeResolver {
  @Authorized(Permission.READ)
  @Query(() => Node, { nullable: true, description: 'Any record by id; null when it does not exist in your workspace.' })
  async node(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Node | null> {
    const decoded = parseId(id);
    const load = decoded && nodeLoader(decoded.type);
    return load ? ((await load(ctx, decoded.uuid)) as Node | null) : null;
  }
}
