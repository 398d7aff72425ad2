/** Collects named parameters for TypeORM query builders while SQL fragments are composed. */
export class SqlParams {
  readonly values: Record<string, unknown> = {};
  private next = 0;

  /** Returns the placeholder for `value`, e.g. `:p3`. */
  add(value: unknown): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `:${name}`;
  }
}

export const column = (alias: string, name: string): string => `"${alias}"."${name}"`;
