import { send } from './load';
import { requestBody, type Scenario } from './scenarios';

/** Where two JSON values first differ, e.g. `deals.edges.3.node.amount: "10.5000" ≠ "10.50"`; null when equal. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | null {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return `${at || '(root)'}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  }
  if (typeof a !== 'object' || a === null) return a === b ? null : `${at || '(root)'}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.join() !== Object.keys(y).join()) return `${at || '(root)'}: fields ${keys.join()} ≠ ${Object.keys(y).join()}`;
  for (const key of keys) {
    const difference = firstDifference(x[key], y[key], at ? `${at}.${key}` : key);
    if (difference) return difference;
  }
  return null;
}

/** Ids and creation times of new rows differ by nature; everything else of a write's answer must match. */
const withoutFreshValues = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'id' || key === 'createdAt' ? typeof v : v));

/**
 * Sends the scenario's first request to both servers and requires the same answer: equal JSON
 * (fields in the same order) for reads, equal apart from ids and times for writes.
 */
export async function compareAnswers(scenario: Scenario, apiUrl: string, bareUrl: string, token: string): Promise<string> {
  const body = requestBody(scenario, 0, 'api');
  const [api, bare] = await Promise.all([send(apiUrl, body, token), send(bareUrl, body, token)]);
  const difference = scenario.writes
    ? firstDifference(withoutFreshValues(api), withoutFreshValues(bare))
    : firstDifference(api, bare);
  if (difference) throw new Error(`(${scenario.key}) the API and the bare handler answer differently at ${difference}`);
  return scenario.writes ? 'same shape' : 'identical';
}
