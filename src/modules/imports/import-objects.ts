import { Permission } from '../../kernel/auth/roles';
import { ImportObject } from './import-job.entity';

/** `POST /imports/{object}`: the path segment of each object. */
export const OBJECT_OF_PATH: Readonly<Record<string, ImportObject>> = {
  accounts: ImportObject.ACCOUNT,
  contacts: ImportObject.CONTACT,
  deals: ImportObject.DEAL,
  tickets: ImportObject.TICKET,
  products: ImportObject.PRODUCT,
  orders: ImportObject.ORDER,
};

/** What uploading (and cancelling) an import of each object needs: the object's write permission or API-key scope. */
export const WRITE_PERMISSION: Readonly<Record<ImportObject, Permission>> = {
  [ImportObject.ACCOUNT]: Permission.WRITE_ACCOUNTS,
  [ImportObject.CONTACT]: Permission.WRITE_CONTACTS,
  [ImportObject.DEAL]: Permission.WRITE_DEALS,
  [ImportObject.TICKET]: Permission.WRITE_TICKETS,
  [ImportObject.PRODUCT]: Permission.MANAGE_PRODUCTS,
  [ImportObject.ORDER]: Permission.WRITE_ORDERS,
};

/** The GraphQL input a line is shaped like (CSV columns are its fields): `UpsertContactInput`, … */
export function upsertInputType(object: ImportObject): string {
  return `Upsert${object[0].toUpperCase()}${object.slice(1)}Input`;
}
