import { Arg, Authorized, Ctx, Int, Mutation, Resolver } from 'type-graphql';
import { Permission } from '../../kernel/auth/roles';
import type { RequestContext } from '../../kernel/context';
import { Workspace } from './workspace.entity';
import { WorkspaceSettingsInput } from './workspace-settings.inputs';
import { workspaceSettingsService } from './workspace-settings.service';

@Resolver(() => Workspace)
export class WorkspaceSettingsResolver {
  @Authorized(Permission.MANAGE_WORKSPACE)
  @Mutation(() => Workspace, { description: 'Changes the workspace’s settings (time zone, follow-up offsets).' })
  updateWorkspaceSettings(
    @Ctx() ctx: RequestContext,
    @Arg('input') input: WorkspaceSettingsInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Workspace> {
    return workspaceSettingsService.update(ctx, input, expectedVersion);
  }
}
