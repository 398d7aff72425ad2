import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { ExternalRefInput } from '../../kernel/records/external-refs';
import { Node } from '../../kernel/record';
import { fieldOwnerService, type FieldOwnerRow } from './field-owners.service';
import { SyncObject, type SyncObjectName } from './sync-object';
import { syncService } from './sync.service';


@ObjectType({ description: 'The one source whose upserts may change a field; upserts from others leave it as it is.' })
export class FieldOwner implements FieldOwnerRow {
  @Field(() => SyncObject) object: SyncObjectName;
  @Field({ description: 'An upsert input field, e.g. "email" (accountId also covers accountRef).' }) field: string;
  @Field({ description: 'A system slug such as "erp", or "crm" for upserts without a source.' }) system: string;
}

@InputType()
export class SetFieldOwnerInput {
  @Field(() => SyncObject) object: SyncObject;
  @Field() field: string;
  @Field(() => String, { nullable: true, description: 'Null removes the owner: every source may change the field.' }) system?: string | null;
}

@Resolver()
export class SyncAdminResolver {
  @Authorized(Permission.READ)
  @Mutation(() => Node, { description: 'Links a record (account, contact, deal, ticket, product or order) to its id in another system; needs the object’s write permission.' })
  addExternalRef(@Ctx() ctx: RequestContext, @Arg('recordId', () => ID) recordId: string, @Arg('ref', () => ExternalRefInput) ref: ExternalRefInput) {
    return syncService.addRef(ctx, recordId, ref);
  }

  @Authorized(Permission.READ)
  @Mutation(() => Node, { description: 'Unlinks the record’s id in `system`; needs the object’s write permission.' })
  removeExternalRef(@Ctx() ctx: RequestContext, @Arg('recordId', () => ID) recordId: string, @Arg('system') system: string) {
    return syncService.removeRef(ctx, recordId, system);
  }

  @Authorized(Permission.MANAGE_WORKSPACE)
  @Mutation(() => [FieldOwner], { description: 'Sets (or with system null removes) the owner of one upsert field; returns every owner.' })
  setFieldOwner(@Ctx() ctx: RequestContext, @Arg('input') input: SetFieldOwnerInput) {
    return fieldOwnerService.set(ctx, input.object, input.field, input.system);
  }

  @Authorized(Permission.READ)
  @Query(() => [FieldOwner])
  fieldOwners(@Ctx() ctx: RequestContext) {
    return fieldOwnerService.list(ctx);
  }
}
