import { SyncObject } from '../sync';

/** `POST /imports/{object}`: the path segment of each object. */
export const OBJECT_OF_PATH: Readonly<Record<string, SyncObject>> = {
  accounts: SyncObject.ACCOUNT,
  contacts: SyncObject.CONTACT,
  deals: SyncObject.DEAL,
  tickets: SyncObject.TICKET,
  products: SyncObject.PRODUCT,
  orders: SyncObject.ORDER,
};
