import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layering of STYLE.md, enforced: doors (http, telegram, jobs) → commands → repositories → db;
// commands → domain, texts, effects; nothing below imports a door, and SQL lives only in
// src/repositories/ and src/db/.
const DOORS = ['**/http/**', '**/telegram/**', '**/jobs/**', '**/app.ts'];
const restrict = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});
const NO_SQL = {
  'no-restricted-syntax': [
    'error',
    {
      selector:
        'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)$/]',
      message:
        'SQL lives in src/repositories/ (or src/db/ for the connection, migrations and health checks).',
    },
    {
      selector: "TaggedTemplateExpression[tag.name='sql']",
      message:
        'SQL lives in src/repositories/ (or src/db/ for the connection, migrations and health checks).',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'bench/results/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: [
      'src/commands/**',
      'src/effects/**',
      'src/repositories/**',
      'src/integrations/**',
      'src/cache/**',
    ],
    ignores: ['**/*.test.ts'],
    rules: restrict(
      DOORS,
      'Actions know no transport: doors (http, telegram, jobs) call commands, never the reverse.',
    ),
  },
  {
    files: ['src/domain/**', 'src/texts/**', 'src/db/**', 'src/errors.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict(
      [...DOORS, '**/commands/**', '**/repositories/**', '**/effects/**', '**/deps.ts'],
      'Pure layers (domain, texts, db, errors) import no action, repository or door.',
    ),
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/repositories/**', 'src/db/**', '**/*.test.ts'],
    rules: NO_SQL,
  },
);
