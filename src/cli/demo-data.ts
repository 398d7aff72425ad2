import type { Config } from '../config/config';
import { RequestContext, type Actor } from '../kernel/context';
import { createDataSource } from '../kernel/db/data-source';
import { createLogger } from '../kernel/logger';
import { Role } from '../kernel/auth/roles';
import { accountService } from '../modules/accounts/account.service';
import { authService } from '../modules/identity/auth.service';

export const DEMO_LOGIN = { email: 'demo@example.com', password: 'demo-password-123' };

const INDUSTRIES = ['Manufacturing', 'Retail', 'Software', 'Logistics', 'Healthcare', 'Energy', 'Finance', 'Construction'];
const CITIES: Array<[string, string, string]> = [
  ['Berlin', '10115', 'DE'], ['Hamburg', '20095', 'DE'], ['München', '80331', 'DE'], ['Köln', '50667', 'DE'],
  ['Wien', '1010', 'AT'], ['Zürich', '8001', 'CH'], ['Amsterdam', '1012', 'NL'], ['Paris', '75001', 'FR'],
];
const NAME_PARTS = ['Nord', 'Süd', 'Alpen', 'Rhein', 'Elb', 'Isar', 'Main', 'Spree', 'Donau', 'Weser', 'Hansa', 'Kontor'];
const SUFFIXES = ['Technik', 'Logistik', 'Handel', 'Werke', 'Systeme', 'Bau', 'Energie', 'Software'];
const FORMS = ['GmbH', 'AG', 'KG', 'GmbH & Co. KG'];

/** Deterministic pseudo-random numbers, so every demo database looks the same. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

/**
 * Loads the demo workspace through the same services the API uses. Idempotent: when the demo
 * user exists, nothing is done.
 */
export async function seedDemo(config: Config, log: (line: string) => void): Promise<void> {
  const dataSource = createDataSource({ url: config.DATABASE_URL, poolSize: 2, applicationName: 'crm-demo-seed' });
  await dataSource.initialize();
  const runtime = { config, dataSource, logger: createLogger('silent') };
  const anonymous = new RequestContext(runtime, null);
  try {
    const signedIn = await authService.signIn(anonymous, { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password }).catch(() => null);
    if (signedIn) {
      log(`demo workspace exists; sign in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
      return;
    }
    const signup = await authService.signUp(anonymous, { workspaceName: 'Demo Handels GmbH', name: 'Dana Demo', ...DEMO_LOGIN });
    const actor: Actor = { userId: signup.user.id, workspaceId: signup.workspace.id, role: Role.ADMIN };
    const ctx = new RequestContext(runtime, actor);
    const random = seededRandom(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const accountIds: string[] = [];
    for (let i = 0; i < 300; i++) {
      const [city, postalCode, country] = pick(CITIES);
      const base = `${pick(NAME_PARTS)}${pick(SUFFIXES).toLowerCase()}`;
      const account = await accountService.create(ctx, {
        name: `${base} ${pick(FORMS)}`,
        domain: `${base.toLowerCase().replace(/[^a-z]/g, '')}${i}.example`,
        industry: pick(INDUSTRIES),
        city,
        postalCode,
        country,
        employeeCount: Math.floor(random() * 2000) + 5,
        annualRevenue: `${Math.floor(random() * 50_000_000) + 100_000}.00`,
        ownerId: signup.user.globalId,
      });
      accountIds.push(account.id);
      if ((i + 1) % 100 === 0) log(`accounts: ${i + 1}/300`);
    }
    await ctx.close();
    log(`demo workspace ready: ${accountIds.length} accounts; sign in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`);
  } finally {
    await anonymous.close();
    await dataSource.destroy();
  }
}
