/**
 * Collects parameters while SQL fragments are composed; each statement is bound on its own
 * (`bind`), so it carries only the parameters it references, numbered $1…$n.
 */
export class SqlParams {
  private readonly values: unknown[] = [];

  /** Returns the placeholder for `value`, e.g. `:p3`. */
  add(value: unknown): string {
    this.values.push(value);
    return `:p${this.values.length - 1}`;
  }

  bind(sql: string): [string, unknown[]] {
    const positions = new Map<number, number>();
    const bound: unknown[] = [];
    const text = sql.replace(/(?<!:):p(\d+)\b/g, (_, index: string) => {
      const i = Number(index);
      if (!positions.has(i)) {
        bound.push(this.values[i]);
        positions.set(i, bound.length);
      }
      return `$${positions.get(i)}`;
    });
    return [text, bound];
  }
}

export const column = (alias: string, name: string): string => `"${alias}"."${name}"`;

/** Statement names by text: prepared statements are kept per connection, so a name must always mean one text. */
const statementNames = new Map<string, string>();
const MAX_PREPARED = 2000;

/**
 * A query that pg runs as a named prepared statement: PostgreSQL parses and plans it once per
 * connection, and later runs send only its name and parameters. For statements that recur with
 * the same text (one record's write: a few kilobytes of SQL, half a millisecond of planning);
 * texts beyond the first MAX_PREPARED run unprepared, so the statements kept stay bounded. The
 * result goes to `em.query`, which hands it to pg unchanged (and to the statement counter).
 */
export function preparedStatement(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    if (statementNames.size >= MAX_PREPARED) return text;
    statementNames.set(text, (name = `crm_${statementNames.size}`));
  }
  return { name, text } as unknown as string;
}
