import { encodeId } from '../../../kernel/ids';
import { type RoutingDecision, RoutingObjectType, routingService } from '../../routing';
import { AutomationActionType, AutomationObjectType } from '../automation.enums';
import { requireObject, type ActionHandler, type ActionTarget } from './action';

const ROUTED: Partial<Record<AutomationObjectType, RoutingObjectType>> = {
  [AutomationObjectType.CONTACT]: RoutingObjectType.CONTACT,
  [AutomationObjectType.DEAL]: RoutingObjectType.DEAL,
};

const routedType = (target: ActionTarget): RoutingObjectType => ROUTED[target.object.type]!;

/** What a run shows of a decision: public ids, the outcome and why. */
function outcome(decision: RoutingDecision | null): Record<string, unknown> {
  if (!decision) return { assigned: false, reason: 'the record already has an owner (or is in the trash)' };
  return {
    assigned: decision.ownerId !== null,
    ownerId: decision.ownerId && encodeId('User', decision.ownerId),
    outcome: decision.outcome,
    rule: decision.ruleName,
    reason: decision.reason,
    ...(decision.id ? { decisionId: encodeId('RoutingDecision', decision.id) } : {}),
  };
}

/**
 * Gives an unowned contact or deal an owner by the workspace's routing rules, exactly as a new
 * lead is routed (same service, decision stored and queryable with `routingDecision`). A record
 * that has an owner by then is left alone: to re-route, clear the owner in an earlier action.
 */
export const assignViaRouting: ActionHandler<Record<string, never>> = {
  type: AutomationActionType.ASSIGN_VIA_ROUTING,
  async settings(check) {
    requireObject(check, ROUTED[check.object.type] !== undefined, 'routing assigns contacts and deals');
    return {};
  },
  async plan(ctx, target) {
    return outcome(await routingService.preview(ctx, routedType(target), target.record.id));
  },
  async apply(ctx, target) {
    return outcome(await ctx.db.write((em) => routingService.route(ctx, em, routedType(target), target.record.id)));
  },
};
