import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { CrmClient } from './crm-client';

export interface Change {
  id: string;
  type: string;
  recordId: string;
  recordType: string;
  changed: string[];
  sequence: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const PAGE = `query($after: String, $types: [String!]) {
  changes(after: $after, types: $types, first: 200) {
    edges { cursor node { id type recordId recordType changed sequence before after } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * Reads every change after the cursor saved in `cursorFile`, page by page, hands each to
 * `apply`, and saves the cursor after each page: a crash re-reads at most one page, so `apply`
 * should be idempotent (it is keyed by the event id). Returns the changes read.
 */
export async function followChanges(crm: CrmClient, cursorFile: string, apply: (change: Change) => Promise<void>, types?: string[]): Promise<number> {
  let after = existsSync(cursorFile) ? readFileSync(cursorFile, 'utf8').trim() || undefined : undefined;
  let read = 0;
  for (;;) {
    const { changes } = await crm.query<{ changes: { edges: { cursor: string; node: Change }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(PAGE, { after, types });
    for (const { node } of changes.edges) await apply(node);
    read += changes.edges.length;
    if (changes.pageInfo.endCursor) {
      after = changes.pageInfo.endCursor;
      writeFileSync(cursorFile, after);
    }
    if (!changes.pageInfo.hasNextPage) return read;
  }
}
