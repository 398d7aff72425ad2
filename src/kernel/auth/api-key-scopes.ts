import { Permission } from './roles';

/**
 * What an API key may be granted, and which scope each permission a resolver requires needs.
 * Reads are one coarse scope (`crm:read`): resolvers check a single READ permission, and nested
 * fields (a deal's account, …) are not checked per object, so a per-object read scope would
 * promise a boundary the API does not enforce. Writes are per object.
 * Permissions with no scope here (members, pipelines, SLA, routing, workspace, automations) are
 * never granted to a key.
 */
export const SCOPE_OF_PERMISSION: Partial<Record<Permission, string>> = {
  [Permission.READ]: 'crm:read',
  [Permission.WRITE_ACCOUNTS]: 'accounts:write',
  [Permission.WRITE_CONTACTS]: 'contacts:write',
  [Permission.WRITE_DEALS]: 'deals:write',
  [Permission.WRITE_TICKETS]: 'tickets:write',
  [Permission.WRITE_ACTIVITIES]: 'activities:write',
  [Permission.MANAGE_PRODUCTS]: 'products:write',
  [Permission.WRITE_ORDERS]: 'orders:write',
  [Permission.DELETE_RECORDS]: 'records:delete',
  [Permission.MANAGE_WEBHOOKS]: 'webhooks:manage',
};

export const API_KEY_SCOPES: readonly string[] = Object.values(SCOPE_OF_PERMISSION);

/** True when a key with `scopes` may do what `permission` guards. */
export function scopesAllow(scopes: readonly string[], permission: Permission): boolean {
  const scope = SCOPE_OF_PERMISSION[permission];
  return scope !== undefined && scopes.includes(scope);
}
