/**
 * The house's nevers (DESIGN.md, STYLE.md "Doors to keep shut"), checked by `npm run lint` in CI.
 * A rule broken here fails the build; test/unit/nevers.test.ts proves each rule catches a broken door.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core is pure: no storage, channel, HTTP, desk, job or console code, and no I/O modules of Node.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        path: [
          '^src/(db|channels|http|desk|jobs|console|probes|reports|records|sandbox|workers)/',
          '^src/(services|main|worker|cli)\\.ts$',
          'drizzle-orm',
          'postgres',
          '@electric-sql/pglite',
        ],
        pathNot: '^src/core/',
      },
    },
    {
      name: 'core-no-node-io',
      comment: 'src/core does no I/O: no fs, net, http, child processes of Node.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads)$' },
    },
    {
      name: 'desk-imports-no-channel',
      comment: 'The desk never imports a channel: the types channels share with it live in src/desk/types.ts.',
      severity: 'error',
      from: { path: '^src/desk/' },
      to: { path: '^src/channels/' },
    },
    {
      name: 'channels-never-touch-the-database',
      comment: 'Channels talk to the desk only (core.desk, core.store, the DeliveryContext): no database module, no SQL builder.',
      severity: 'error',
      from: { path: '^src/channels/' },
      to: { path: ['^src/db/', '^src/probes/kv\\.ts$', 'drizzle-orm', 'postgres', '@electric-sql/pglite'] },
    },
    {
      name: 'composition-root-holds-no-sql',
      comment: 'services.ts wires the parts together; SQL and use cases live in the desk and the jobs.',
      severity: 'error',
      from: { path: '^src/services\\.ts$' },
      to: { path: ['^src/db/schema/', 'drizzle-orm'] },
    },
    {
      name: 'no-circular',
      comment: 'No runtime import circle (type-only imports are erased at build time and may point back).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
