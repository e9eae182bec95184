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
  {
    name: 'heirloom/routes',
    files: ['routes/**/*.ts', 'bench/ceiling.ts'],
    rules: {
      // A route handler returns its payload for Fastify to send: a sent reply
      // returned is a thenable Fastify waits on with end-of-stream listeners,
      // on every request (routes/reply.ts). Streams and redirects, which must
      // be sent, say so with an eslint-disable comment.
      'no-restricted-syntax': ['error', {
        selector: 'ReturnStatement > CallExpression[callee.property.name=/^(send|redirect)$/], ArrowFunctionExpression > CallExpression[callee.property.name=/^(send|redirect)$/]',
        message: 'Return the payload (routes/reply.ts), not the reply sent: Fastify would wait on it as a thenable.',
      }],
    },
  },
]
