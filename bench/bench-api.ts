import path from 'node:path';
import { send } from './load';
import { startServer, type ServerProcess } from './processes';
import { API_APPLICATION_NAME, APP_URL, BENCH_LOGIN, OWNER_URL, productionEnv } from './settings';

const ROOT = path.resolve(__dirname, '../..');

/** The API as the report and search benches run it: production settings on the bench database, logging to bench/results/servers.log. */
export function startBenchApi(env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServer(
    { name: 'API', script: path.join(ROOT, 'dist/src/main.js'), applicationName: API_APPLICATION_NAME, env: { ...productionEnv(APP_URL, OWNER_URL), ...env } },
    path.join(ROOT, 'bench/results/servers.log'),
  );
}

/** The seeded bench user's access token. */
export async function signInBench(apiUrl: string): Promise<string> {
  const body = JSON.stringify({
    query: 'mutation($input: SignInInput!) { signIn(input: $input) { token } }',
    variables: { input: BENCH_LOGIN },
  });
  const answer = await send<{ signIn: { token: string } }>(apiUrl, body).catch((error: Error) => {
    throw new Error(`cannot sign in as ${BENCH_LOGIN.email}; seed first (see bench/README.md): ${error.message}`);
  });
  return answer.data.signIn.token;
}
