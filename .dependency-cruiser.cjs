/**
 * The boundaries of DESIGN §4, checked by `bun run lint` and proven live by
 * test/boundaries.test.ts (which plants forbidden imports in a scratch copy).
 * @type {import('dependency-cruiser').IConfiguration}
 */
const TEST_FILE = '\\.test\\.ts$'
// Tests and what only tests use: `*.test.ts`, helpers named `test-*.ts`, the platform's harness.
const TEST_SUPPORT = [TEST_FILE, '(^|/)test-[^/]+\\.ts$', '^src/platform/testing/']
// Unanchored so a scratch copy with node_modules symlinked (test/boundaries.test.ts) resolves the same.
const ZOD = '(^|/)node_modules/zod/'

module.exports = {
  forbidden: [
    {
      name: 'no-cross-module',
      comment: 'A module imports nothing from another module; it sees the others only through src/contracts and the platform.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'platform-not-to-modules',
      comment: 'src/platform is the shared kernel: it imports no module and no contract.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(modules|contracts)/' },
    },
    {
      name: 'contracts-only-zod',
      comment: "src/contracts is each module's published language: event names and zod schemas, importing only zod.",
      severity: 'error',
      from: { path: '^src/contracts/', pathNot: TEST_FILE },
      to: { pathNot: ZOD },
    },
    {
      name: 'contract-tests-only-contracts',
      comment: 'A contract test exercises contracts with zod and bun:test, nothing else.',
      severity: 'error',
      from: { path: `^src/contracts/.*${TEST_FILE}` },
      to: { pathNot: [ZOD, '^src/contracts/', '^bun:test$'] },
    },
    {
      name: 'scripts-through-module-faces',
      comment:
        "A script (bun run admin:grant, …) uses a module through its face, src/modules/<name>/index.ts, or src/modules.ts, and the platform; never a module's inside, a contract or the test harness.",
      severity: 'error',
      from: { path: '^scripts/' },
      to: {
        path: '^src/',
        pathNot: ['^src/modules/[^/]+/index\\.ts$', '^src/modules\\.ts$', '^src/platform/(?!testing/)'],
      },
    },
    {
      name: 'not-to-main',
      comment: 'src/main.ts is the composition root; nothing imports it.',
      severity: 'error',
      from: {},
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'testing-only-from-tests',
      comment: 'The test harness (fresh databases, templates) is for tests, never for code that ships.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_SUPPORT },
      to: { path: '^src/platform/testing/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles, type-only ones included, tangle what the boundaries keep apart.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'A file nothing imports and that imports nothing is dead code (tests and entry points excepted).',
      severity: 'error',
      from: { orphan: true, pathNot: [TEST_FILE, '\\.d\\.ts$', '^src/main\\.ts$'] },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      comment: 'A package imported without being declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'Code that ships may not depend on devDependencies (tests may).',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_SUPPORT },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['bun', 'import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    // Bun's built-in modules (bun, bun:test, bun:sqlite…) are not on disk but are not errors.
    exclude: { path: '^bun$|^bun:' },
  },
}
