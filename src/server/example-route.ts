import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';

/** Where the example dashboard is served from (SERVE_EXAMPLES): the API's own origin, so the page needs no CORS. */
export const EXAMPLE_DASHBOARD_PATH = '/examples/dashboard/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** examples/dashboard of the checkout, from src/server (tests) or dist/src/server (the build). */
const folder = [path.resolve(__dirname, '../../examples/dashboard'), path.resolve(__dirname, '../../../examples/dashboard')].find((dir) =>
  existsSync(path.join(dir, 'index.html')),
);

/**
 * Serves the page's files (index.html, its script and style sheet), never anything outside its
 * folder or of another kind; 404 otherwise.
 */
export async function serveExampleDashboard(route: string, res: ServerResponse): Promise<number> {
  if (!route.endsWith('/') && `${route}/` === EXAMPLE_DASHBOARD_PATH) {
    // Relative links in the page (its script and style sheet) need the trailing slash.
    res.writeHead(308, { location: EXAMPLE_DASHBOARD_PATH });
    res.end();
    return 308;
  }
  const name = route.slice(EXAMPLE_DASHBOARD_PATH.length) || 'index.html';
  const type = CONTENT_TYPES[path.extname(name)];
  if (!folder || !type || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) return notFound(res);
  const body = await readFile(path.join(folder, name)).catch(() => null);
  if (!body) return notFound(res);
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(body);
  return 200;
}

function notFound(res: ServerResponse): number {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'Not found' }));
  return 404;
}
