// Lint and formatting in one tool: neostandard (the `standard` style the Fastify
// ecosystem uses: 2 spaces, single quotes, no semicolons, a space before function
// parens) on eslint's flat config, with typescript-eslint for the .ts files.
// `npm run lint` checks, `npm run lint:fix` rewrites; `npm test` runs the check.
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    noJsx: true,
    // Everything .gitignore leaves out (node_modules, dist, data, .tap, .scratch, logs)
    // and the generated client types (npm run openapi writes them as openapi-typescript does).
    ignores: [...resolveIgnoresFromGitignore(), 'test/contract/api.d.ts'],
  }),
  {
    name: 'heirloom/rules',
    rules: {
      // `void promise;` as a statement is how this code marks a promise it
      // deliberately does not await (a rejection still surfaces as unhandled);
      // `void` inside an expression stays an error.
      'no-void': ['error', { allowAsStatement: true }],
    },
  },
]
