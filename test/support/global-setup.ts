import { ensureTestRoles } from './databases';

/** Once per run: the owner and application roles every test database is created with. */
export default async function globalSetup(): Promise<void> {
  await ensureTestRoles();
}
