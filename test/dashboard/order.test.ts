/**
 * The dashboard's term order (public/dashboard/order.js, which places a new
 * key among an ordered_set page's rows) against the server's own
 * (src/ets/term.ts): the same sign for random terms, drawn from a few
 * characters, numbers and names so that near-equal terms are common. The
 * characters meet where UTF-16 and code point order part (U+E000…U+FFFF
 * against an astral one), and include lone surrogates, which the server
 * orders as units (a client may send "\ud800" in JSON).
 */
import fc from 'fast-check'
import t from 'tap'
import { compareTerms, type Term } from '../../src/ets/term.js'

// A browser module without type declarations: imported by URL, typed here.
const dashboard = await import(new URL('../../public/dashboard/order.js', import.meta.url).href) as { compareTerms: (a: Term, b: Term) => number }

const text = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\uE000', '\uFFFF', '\u{10000}', '\uD800', '\uDC00'), maxLength: 3 })
const term: fc.Arbitrary<Term> = fc.letrec<{ term: Term }>(tie => ({
  term: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(0, -0, 1, 1.5, -2, false, null, true),
    text,
    fc.array(tie('term'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('term'), { maxKeys: 3 })
  ),
})).term

t.test('the dashboard orders terms as the server does', async t => {
  fc.assert(fc.property(term, term, (a, b) => Math.sign(dashboard.compareTerms(a, b)) === Math.sign(compareTerms(a, b))),
    { numRuns: 5000, seed: 12 })
  t.pass('5,000 random pairs agree')
})
