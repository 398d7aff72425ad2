import { SyncObject } from '../sync/sync-object';

/** `POST /imports/{object}`: the path segment of each object. */
export const OBJECT_OF_PATH: Readonly<Record<string, SyncObject>> = {
  accounts: SyncObject.ACCOUNT,
  contacts: SyncObject.CONTACT,
  deals: SyncObject.DEAL,
  tickets: SyncObject.TICKET,
  products: SyncObject.PRODUCT,
  orders: SyncObject.ORDER,
};

/** The GraphQL input a line is shaped like (CSV columns are its fields): `UpsertContactInput`, … */
export function upsertInputType(object: SyncObject): string {
  return `Upsert${object[0].toUpperCase()}${object.slice(1)}Input`;
}
