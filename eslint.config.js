// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', '.cache/', '.kafka/', 'schemas/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['bin/*.js', 'eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Time belongs to the Clock port (src/actors/ports/clock.ts): actors and schemas never read it or
    // set timers themselves, so tests can drive them with a fake clock. src/system implements the port.
    files: ['src/actors/**/*.ts', 'src/protocol/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'performance'].map((name) => ({
          name,
          message: 'Timers and time come from the injected Clock port (clock.setTimeout, clock.setInterval, clock.sleep, clock.now).',
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Read the time from the injected Clock port: clock.now().' },
        { object: 'globalThis', property: 'setTimeout', message: 'Use the injected Clock port: clock.setTimeout().' },
        { object: 'globalThis', property: 'setInterval', message: 'Use the injected Clock port: clock.setInterval().' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read the time from the injected Clock port: new Date(clock.now()).' },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: ['timers', 'node:timers', 'timers/promises', 'node:timers/promises'].map((name) => ({
            name,
            message: 'Timers come from the injected Clock port (clock.setTimeout, clock.setInterval, clock.sleep).',
          })),
        },
      ],
    },
  },
  {
    files: ['test/**', 'scripts/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The web console: plain ES modules the browser loads as they are; TypeScript's checker does not
    // see them, and the browser's globals are many (no-undef is off, as typescript-eslint advises).
    files: ['console/**/*.js'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { 'no-undef': 'off' },
  },
);
