import { superuserClient } from './databases';
import type { TestApp } from './test-app';

/** A record's events (type, after, changed), oldest first, read past row-level security. */
export async function recordEvents(t: TestApp, publicId: string): Promise<Array<{ type: string; before: any; after: any; changed: string[] }>> {
  const uuid = publicId.split('_')[1].replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  const db = await superuserClient(t.database.name);
  try {
    const { rows } = await db.query(`SELECT type, before, after, changed FROM record_events WHERE record_id = $1 ORDER BY occurred_at, ctid`, [uuid]);
    return rows;
  } finally {
    await db.end();
  }
}

/** `upsertX(input)` with a selection of the record; the mutation and result field are named from the type. */
export const upsertMutation = (type: string, selection: string) =>
  `mutation($input: Upsert${type}Input!) { upsert${type}(input: $input) { status skippedFields ${type[0].toLowerCase()}${type.slice(1)} { ${selection} } } }`;
