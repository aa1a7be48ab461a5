/**
 * Type errors are `npm run typecheck`'s job; the suite transpiles only, to start fast.
 * Each tier (see package.json) names its own files, and the integration and browser tiers add
 * the global fixture that starts the services: `npx mocha --require tests/support/fixtures.ts tests/integration/x.test.ts`.
 */
module.exports = {
  require: ['ts-node/register/transpile-only'],
  timeout: 30000,
  slow: 2000,
};
