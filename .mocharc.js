/** Type errors are `npm run typecheck`'s job; the suite transpiles only, to start fast. */
module.exports = {
  require: ['ts-node/register/transpile-only', 'tests/fixtures.ts'],
  spec: ['tests/**/*.test.ts'],
  timeout: 30000,
  slow: 2000,
};
