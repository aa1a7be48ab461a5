/** ESLint 8 reads this file; ESLint 9 would need a flat config, hence the pinned major version. */
module.exports = {
  root: true,
  parser: '@typescript-eslint/parser',
  parserOptions: {
    project: ['./tsconfig.json', './web/tsconfig.json'],
    tsconfigRootDir: __dirname,
  },
  plugins: ['@typescript-eslint'],
  extends: ['eslint:recommended', 'plugin:@typescript-eslint/recommended-type-checked'],
  env: { node: true, es2022: true },
  // Generated code (npm run types) is held to its generator's output, not to these rules.
  // This file is linted too (a dotfile, so named back in), as plain JavaScript like the CLI's launcher.
  ignorePatterns: ['dist/', 'node_modules/', '.cache/', 'bench/results/', 'web/src/generated/', '!.eslintrc.js'],
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    '@typescript-eslint/no-explicit-any': 'error',
    // Controllers are classes of static handlers, passed to the router unbound by design.
    '@typescript-eslint/unbound-method': ['error', { ignoreStatic: true }],
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    eqeqeq: ['error', 'always'],
    'no-console': 'off',
  },
  overrides: [
    {
      // utils/ holds the rules of the service, shared with the worker: it knows nothing of HTTP routing.
      files: ['utils/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [{ name: 'express', message: 'utils/ must not depend on Express.' }],
            patterns: [{ group: ['**/routes', '**/routes/*', '**/controllers', '**/controllers/*'], message: 'utils/ must not depend on the HTTP layer.' }],
          },
        ],
      },
    },
    {
      // utils/storage/ holds bytes for files, jobs and upkeep alike: it knows nothing of what a file is.
      files: ['utils/storage/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [{ name: 'express', message: 'utils/ must not depend on Express.' }],
            patterns: [
              { group: ['**/routes', '**/routes/*', '**/controllers', '**/controllers/*'], message: 'utils/ must not depend on the HTTP layer.' },
              { group: ['**/files', '**/files/*', '**/jobs', '**/jobs/*'], message: 'utils/storage/ is below files and jobs: they use it, not the other way round.' },
            ],
          },
        ],
      },
    },
    {
      // Plain JavaScript, CommonJS, outside every tsconfig: the CLI's launcher (it runs before any
      // TypeScript can) and this file. No type information.
      files: ['cli/bin.js', '.eslintrc.js'],
      extends: ['plugin:@typescript-eslint/disable-type-checked'],
      parserOptions: { project: null },
      rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
    {
      // The browser app: DOM globals, no Node.
      files: ['web/**/*.ts'],
      env: { browser: true, node: false },
    },
    {
      files: ['tests/**/*.ts'],
      env: { mocha: true },
      rules: {
        // chai's `expect(x).to.be.true` reads as an unused expression.
        '@typescript-eslint/no-unused-expressions': 'off',
      },
    },
  ],
};
