import { RoutingObjectType, routingService } from '../src/modules/routing';
import type { EventHandler } from './record-events';

/**
 * Routes every new contact and deal that has no owner (from the API, an import or a sync) by
 * the workspace's routing rules, in the handler's transaction: the owner change (an
 * `updated` event, acting as the event's actor or the system) and the decision commit together
 * with the ledger row, so each event is routed once. A record that already has an owner when
 * the handler runs is left alone.
 */
export const routeNewLeads: EventHandler = {
  name: 'lead-routing',
  types: ['contact.created', 'deal.created'],
  async run(ctx, em, event) {
    const objectType = event.type === 'deal.created' ? RoutingObjectType.DEAL : RoutingObjectType.CONTACT;
    await routingService.route(ctx, em, objectType, event.recordId);
  },
};
