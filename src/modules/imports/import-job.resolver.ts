import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { PageArgs, connectionType } from '../../kernel/pagination/connection';
import { ApiKey, apiKeyService } from '../api-keys';
import { membersService, User } from '../identity';
import { ImportError, ImportJob } from './import-job.entity';
import { importJobService } from './import-job.service';
import { IMPORT_JOB_PROGRESS, fromMessage, type ImportJobMessage } from './import-progress';

export const ImportJobConnection = connectionType(ImportJob, 'ImportJob');
export const ImportErrorConnection = connectionType(ImportError, 'ImportError');

/** Imports are uploaded over HTTP (`POST /imports/{object}`); GraphQL follows and cancels them. */
@Resolver(() => ImportJob)
export class ImportJobResolver {
  @Authorized(Permission.READ)
  @Query(() => ImportJob, { description: 'One bulk import and its progress.' })
  importJob(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ImportJob> {
    return importJobService.get(ctx, decodeId('ImportJob', id, 'id'));
  }

  @Authorized(Permission.READ)
  @Query(() => ImportJobConnection, { description: 'The workspace’s bulk imports, newest first.' })
  importJobs(@Ctx() ctx: RequestContext, @Args() args: PageArgs) {
    return importJobService.list(ctx, args);
  }

  @Authorized(Permission.READ)
  @Mutation(() => ImportJob, {
    description:
      'Stops a QUEUED or RUNNING import before its next chunk (status CANCELLED). Lines imported already stay imported. Needs the write permission of the imported object; an ended import is returned unchanged.',
  })
  cancelImportJob(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<ImportJob> {
    return importJobService.cancel(ctx, decodeId('ImportJob', id, 'id'));
  }

  @Subscription(() => ImportJob, {
    description: 'The import’s progress after each chunk and when it ends (graphql-ws). Subscribe after the upload; read `importJob` once to catch up.',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      await ctx.authorize(Permission.READ);
      const job = await importJobService.get(ctx, decodeId('ImportJob', args.id as string, 'id'));
      return ctx.runtime.pubSub!.subscribe(IMPORT_JOB_PROGRESS, job.id);
    },
  })
  importJobProgress(@Arg('id', () => ID) _id: string, @Root() message: ImportJobMessage): ImportJob {
    return fromMessage(message);
  }

  @FieldResolver(() => ImportErrorConnection, { description: 'The lines that failed, in file order.' })
  errors(@Ctx() ctx: RequestContext, @Root() job: ImportJob, @Args() args: PageArgs) {
    return importJobService.errors(ctx, job, args);
  }

  @FieldResolver(() => User, { nullable: true, description: 'The member who uploaded it; null for an API key.' })
  createdBy(@Ctx() ctx: RequestContext, @Root() job: ImportJob): Promise<User | null> {
    return membersService.loadUser(ctx, job.createdByUuid);
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'The API key that uploaded it; null for a member.' })
  createdByApiKey(@Ctx() ctx: RequestContext, @Root() job: ImportJob): Promise<ApiKey | null> {
    return apiKeyService.load(ctx, job.createdByApiKeyUuid);
  }
}
