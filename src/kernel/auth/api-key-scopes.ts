import { Permission } from './roles';
import { OBJECT_READ_SCOPES, READ_ALL, readScopesOf } from './read-scopes';

/**
 * What an API key may be granted, and which scope each permission a resolver requires needs.
 * Reads are per object (`accounts:read`, …; `crm:read` reads all, `x:write` implies `x:read`):
 * `@Authorized(Permission.READ)` lets a key in with any read scope, and the read guard
 * (read-guard.ts) then checks every field by the type of record it returns (relations, `node`,
 * connections), while the change feed and the event log list only readable record types.
 * Writes are per object. Permissions with no scope here (members, pipelines, SLA, routing,
 * workspace, automations) are never granted to a key.
 */
export const SCOPE_OF_PERMISSION: Partial<Record<Permission, string>> = {
  [Permission.READ]: READ_ALL,
  [Permission.WRITE_ACCOUNTS]: 'accounts:write',
  [Permission.WRITE_CONTACTS]: 'contacts:write',
  [Permission.WRITE_DEALS]: 'deals:write',
  [Permission.WRITE_TICKETS]: 'tickets:write',
  [Permission.WRITE_ACTIVITIES]: 'activities:write',
  [Permission.MANAGE_PRODUCTS]: 'products:write',
  [Permission.WRITE_ORDERS]: 'orders:write',
  [Permission.DELETE_RECORDS]: 'records:delete',
  [Permission.MANAGE_WEBHOOKS]: 'webhooks:manage',
  [Permission.READ_REPORTS]: 'reports:read',
  [Permission.WRITE_HISTORY]: 'history:write',
};

/** Every scope a key can hold: `crm:read`, the per-object reads, then the writes. */
export const API_KEY_SCOPES: readonly string[] = [READ_ALL, ...Object.keys(OBJECT_READ_SCOPES), ...Object.values(SCOPE_OF_PERMISSION).filter((scope) => scope !== READ_ALL)];

/** True when a key with `scopes` may do what `permission` guards; READ: any read scope (the read guard checks per type). */
export function scopesAllow(scopes: readonly string[], permission: Permission): boolean {
  if (permission === Permission.READ) return readScopesOf(scopes).size > 0;
  const scope = SCOPE_OF_PERMISSION[permission];
  return scope !== undefined && scopes.includes(scope);
}
