/**
 * The module rules of docs/architecture.md, checked by `npm run deps` (part of `npm test`).
 * A module is a folder src/modules/<m>; its face is src/modules/<m>/index.ts.
 */
const MODULE_FILE = '^src/modules/[^/]+/';
const FACE = '^src/modules/[^/]+/index\\.ts$';
const UPWARD = '^(src/(server|cli)/|src/(schema|app|main|cluster)\\.ts$|workers/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'module-only-through-face',
      comment: 'Another module is entered through its face (src/modules/<m>/index.ts), never a file inside it.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: MODULE_FILE, pathNot: ['^src/modules/$1/', FACE] },
    },
    {
      name: 'outside-only-through-face',
      comment: 'Server, CLI, workers, tests and benchmarks enter a module through its face, never a file inside it.',
      severity: 'error',
      from: { pathNot: MODULE_FILE },
      to: { path: MODULE_FILE, pathNot: FACE },
    },
    {
      name: 'not-through-own-face',
      comment: "A module's files import each other directly; through their own face they would load in a loop.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/$1/index\\.ts$' },
    },
    {
      name: 'no-module-cycles',
      comment: 'Modules form no cycle: invert the edge with a hook the owning module offers, or move the shared piece to the kernel.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/modules/[^/]+$' },
      to: { path: '^src/modules/[^/]+$', circular: true },
    },
    {
      name: 'kernel-imports-no-module',
      comment: 'The kernel is shared by every module and owned by none.',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'modules-import-nothing-upward',
      comment: 'Modules get what they need passed in (context, runtime, queues); they never import the server, CLI, workers or composition roots.',
      severity: 'error',
      from: { path: '^src/(modules|kernel)/' },
      to: { path: UPWARD },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: {
      mermaid: { minify: false },
    },
  },
};
