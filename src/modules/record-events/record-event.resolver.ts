import { Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { connectionType } from '../../kernel/pagination/connection';
import { ApiKey, apiKeyService } from '../api-keys';
import { membersService, User } from '../identity';
import { RecordEvent } from './record-event.entity';
import { RecordEventListArgs } from './record-event.inputs';
import { recordEventService } from './record-event.service';

export const RecordEventConnection = connectionType(RecordEvent, 'RecordEvent');

@Resolver(() => RecordEvent)
export class RecordEventResolver {
  @Authorized(Permission.READ)
  @Query(() => RecordEventConnection, {
    description: 'The record event log, oldest first: every create, update, delete and restore, with who made it and the record before and after.',
  })
  recordEvents(@Ctx() ctx: RequestContext, @Args() args: RecordEventListArgs) {
    return recordEventService.list(ctx, args);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The person who made the change; null for changes made by the system or by an API key (see actorApiKey).' })
  actor(@Ctx() ctx: RequestContext, @Root() event: RecordEvent): Promise<User | null> {
    return membersService.loadUser(ctx, event.actorUserId);
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'The API key that made the change, when a system made it through a key (then `actor` is null).' })
  actorApiKey(@Ctx() ctx: RequestContext, @Root() event: RecordEvent): Promise<ApiKey | null> {
    return apiKeyService.load(ctx, event.actorApiKeyUuid);
  }
}
