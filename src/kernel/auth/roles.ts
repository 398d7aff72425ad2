import { registerEnumType } from 'type-graphql';

export enum Role {
  ADMIN = 'ADMIN',
  MANAGER = 'MANAGER',
  SALES = 'SALES',
  SUPPORT = 'SUPPORT',
  READ_ONLY = 'READ_ONLY',
}
registerEnumType(Role, { name: 'Role', description: 'A member’s role in a workspace; see the permission matrix.' });

/** What a role may do. The permission matrix in docs/roles.md is this table; a test checks each row. */
export enum Permission {
  READ = 'crm:read',
  WRITE_ACCOUNTS = 'accounts:write',
  WRITE_CONTACTS = 'contacts:write',
  WRITE_DEALS = 'deals:write',
  WRITE_TICKETS = 'tickets:write',
  WRITE_ACTIVITIES = 'activities:write',
  DELETE_RECORDS = 'records:delete',
  MANAGE_PIPELINES = 'pipelines:manage',
  MANAGE_MEMBERS = 'members:manage',
  MANAGE_SLA = 'sla:manage',
  MANAGE_ROUTING = 'routing:manage',
  MANAGE_WORKSPACE = 'workspace:manage',
  MANAGE_AUTOMATIONS = 'automations:manage',
  MANAGE_PRODUCTS = 'products:manage',
  WRITE_ORDERS = 'orders:write',
  MANAGE_WEBHOOKS = 'webhooks:manage',
  READ_REPORTS = 'reports:read',
  MANAGE_QUOTAS = 'quotas:manage',
  WRITE_HISTORY = 'history:write',
}

const ALL = Object.values(Permission);

/** Only admins hold these. */
const ADMIN_ONLY: ReadonlySet<Permission> = new Set([Permission.MANAGE_MEMBERS, Permission.MANAGE_WORKSPACE, Permission.MANAGE_WEBHOOKS, Permission.WRITE_HISTORY]);

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  [Role.ADMIN]: new Set(ALL),
  [Role.MANAGER]: new Set(ALL.filter((p) => !ADMIN_ONLY.has(p))),
  [Role.SALES]: new Set([
    Permission.READ,
    Permission.WRITE_ACCOUNTS,
    Permission.WRITE_CONTACTS,
    Permission.WRITE_DEALS,
    Permission.WRITE_ACTIVITIES,
    Permission.WRITE_ORDERS,
    Permission.READ_REPORTS,
  ]),
  [Role.SUPPORT]: new Set([
    Permission.READ,
    Permission.WRITE_ACCOUNTS,
    Permission.WRITE_CONTACTS,
    Permission.WRITE_TICKETS,
    Permission.WRITE_ACTIVITIES,
    Permission.READ_REPORTS,
  ]),
  [Role.READ_ONLY]: new Set([Permission.READ, Permission.READ_REPORTS]),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
