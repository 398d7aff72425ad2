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
