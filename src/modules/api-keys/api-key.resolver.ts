import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { membersService, User } from '../identity';
import { ApiKey, CreatedApiKey } from './api-key.entity';
import { CreateApiKeyInput } from './api-key.inputs';
import { apiKeyService } from './api-key.service';

/** API keys are managed by admins (members:manage); a key can never manage keys. */
@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized(Permission.MANAGE_MEMBERS)
  @Query(() => [ApiKey], { description: 'The workspace’s API keys, oldest first, revoked ones included. Never their secrets.' })
  apiKeys(@Ctx() ctx: RequestContext): Promise<ApiKey[]> {
    return apiKeyService.list(ctx);
  }

  @Authorized(Permission.MANAGE_MEMBERS)
  @Mutation(() => CreatedApiKey, { description: 'Creates an API key; its token is in this answer only.' })
  createApiKey(@Ctx() ctx: RequestContext, @Arg('input') input: CreateApiKeyInput): Promise<CreatedApiKey> {
    return apiKeyService.create(ctx, input);
  }

  @Authorized(Permission.MANAGE_MEMBERS)
  @Mutation(() => ApiKey, { description: 'Revokes an API key: the next request with it is refused.' })
  revokeApiKey(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ApiKey> {
    return apiKeyService.revoke(ctx, decodeId('ApiKey', id, 'id'));
  }

  @FieldResolver(() => User, { nullable: true, description: 'The admin who created the key.' })
  createdBy(@Ctx() ctx: RequestContext, @Root() key: ApiKey): Promise<User | null> {
    return membersService.loadUser(ctx, key.createdByUuid);
  }
}
