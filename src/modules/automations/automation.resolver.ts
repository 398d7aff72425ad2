import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { decodeId } from '../../kernel/ids';
import { connectionType } from '../../kernel/pagination/connection';
import { AutomationRun } from './automation-run.entity';
import { automationRunService } from './automation-runs.service';
import { Automation, AutomationVersion } from './automation.entity';
import { AutomationInput, AutomationListArgs, AutomationRunListArgs, CreateAutomationInput } from './automation.inputs';
import { automationService } from './automation.service';
import { AutomationDryRun, dryRunAutomation } from './automation-dry-run';

export const AutomationConnection = connectionType(Automation, 'Automation');
export const AutomationRunConnection = connectionType(AutomationRun, 'AutomationRun');

const automationId = (id: string) => decodeId('Automation', id, 'id');

@Resolver(() => Automation)
export class AutomationResolver {
  @Authorized(Permission.READ)
  @Query(() => Automation)
  automation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Automation> {
    return automationService.get(ctx, automationId(id));
  }

  @Authorized(Permission.READ)
  @Query(() => AutomationConnection, { description: 'The workspace’s automations, oldest first.' })
  automations(@Ctx() ctx: RequestContext, @Args() args: AutomationListArgs) {
    return automationService.list(ctx, args);
  }

  @Authorized(Permission.READ)
  @Query(() => AutomationVersion, { description: 'One version of the rule, e.g. the one a run used (AutomationRun.version).' })
  automationVersion(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('version', () => Int) version: number): Promise<AutomationVersion> {
    return automationService.version(ctx, automationId(id), version);
  }

  @Authorized(Permission.READ)
  @Query(() => AutomationDryRun, { description: 'Evaluates the condition on the record and shows what each action would do, writing and calling nothing.' })
  dryRunAutomation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('recordId', () => ID) recordId: string): Promise<AutomationDryRun> {
    return dryRunAutomation(ctx, automationId(id), recordId);
  }

  @Authorized(Permission.MANAGE_AUTOMATIONS)
  @Mutation(() => Automation)
  createAutomation(@Ctx() ctx: RequestContext, @Arg('input') input: CreateAutomationInput, @Info() info: GraphQLResolveInfo): Promise<Automation> {
    return automationService.create(ctx, input, info.schema);
  }

  @Authorized(Permission.MANAGE_AUTOMATIONS)
  @Mutation(() => Automation, { description: 'A new version of the rule; runs already recorded keep the version they used.' })
  updateAutomation(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AutomationInput,
    @Info() info: GraphQLResolveInfo,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Automation> {
    return automationService.update(ctx, automationId(id), input, expectedVersion, info.schema);
  }

  @Authorized(Permission.MANAGE_AUTOMATIONS)
  @Mutation(() => Automation)
  enableAutomation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Automation> {
    return automationService.setEnabled(ctx, automationId(id), true);
  }

  @Authorized(Permission.MANAGE_AUTOMATIONS)
  @Mutation(() => Automation)
  disableAutomation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Automation> {
    return automationService.setEnabled(ctx, automationId(id), false);
  }

  @Authorized(Permission.MANAGE_AUTOMATIONS)
  @Mutation(() => Automation, { description: 'Removes the automation (its runs stay readable); there is no restore.' })
  deleteAutomation(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<Automation> {
    return automationService.delete(ctx, automationId(id));
  }

  @FieldResolver(() => AutomationRunConnection, { description: 'This automation’s runs, newest first.' })
  runs(@Ctx() ctx: RequestContext, @Root() automation: Automation, @Args() args: AutomationRunListArgs) {
    return automationRunService.list(ctx, { ...args, automationId: automation.globalId });
  }
}

@Resolver(() => AutomationRun)
export class AutomationRunResolver {
  @Authorized(Permission.READ)
  @Query(() => AutomationRunConnection, { description: 'Runs, newest first; e.g. automationRuns(status: FAILED).' })
  automationRuns(@Ctx() ctx: RequestContext, @Args() args: AutomationRunListArgs) {
    return automationRunService.list(ctx, args);
  }

  @Authorized(Permission.READ)
  @Query(() => AutomationRun)
  automationRun(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<AutomationRun> {
    return automationRunService.get(ctx, decodeId('AutomationRun', id, 'id'));
  }

  @Authorized(Permission.MANAGE_AUTOMATIONS)
  @Mutation(() => AutomationRun, { description: 'Queues a FAILED or PARTIALLY_FAILED run again; actions that succeeded are not repeated.' })
  retryAutomationRun(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string): Promise<AutomationRun> {
    return automationRunService.retry(ctx, decodeId('AutomationRun', id, 'id'));
  }

  @FieldResolver(() => Automation, { nullable: true, description: 'null once the automation is deleted.' })
  automation(@Ctx() ctx: RequestContext, @Root() run: AutomationRun): Promise<Automation | null> {
    return automationService.load(ctx, run.automationId);
  }
}
