import type { TenantRecord } from '../record';
import type { RecordStore } from './record-store';

/**
 * What a module lets other modules do with its records beside calling its service (its face
 * exports a service's `records`, never the store): read them (batched per request, references
 * checked, snapshots for payloads, rows locked for the caller's write) and, for bulk upserts
 * of plain columns, update many in one statement or show a change made alongside (an external
 * ref) in an updated event. Creates, deletes and rule-bound changes go through the service.
 */
export type RecordPort<E extends TenantRecord, F = unknown, O extends string = string> = Pick<
  RecordStore<E, F, O>,
  'model' | 'load' | 'require' | 'requireReference' | 'reference' | 'lockMany' | 'prime' | 'snapshot' | 'updateMany' | 'touch'
>;

/** The port of a module's store, typed so that only the port's operations are reachable. */
export const recordPort = <E extends TenantRecord, F, O extends string>(store: RecordStore<E, F, O>): RecordPort<E, F, O> => store;
