/**
 * Type errors are `npm run typecheck`'s job; the suite transpiles only, to start fast.
 * The spec list is in `npm test`, so `npx mocha tests/one.test.ts` runs just that file.
 */
module.exports = {
  require: ['ts-node/register/transpile-only', 'tests/fixtures.ts'],
  timeout: 30000,
  slow: 2000,
};
