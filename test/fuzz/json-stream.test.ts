// Large answers are serialised in pieces (routes/json-stream.ts): the pieces
// joined must be exactly JSON.stringify's text, each piece must be about the
// piece size (so no step holds the event loop for long), and no piece may
// end inside a surrogate pair (each is encoded to UTF-8 alone).
import fc from 'fast-check'
import t from 'tap'
import { jsonChunks } from '../../routes/json-stream.js'

const json = fc.jsonValue({ maxDepth: 6 })
const answer = fc.record({ results: fc.array(json, { maxLength: 40 }), continuation: fc.option(fc.string(), { nil: undefined }) })
const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', 'é', '😀', '\ud800', '\udc00'), maxLength: 300 })

t.test('the_pieces_joined_are_json_stringify_and_each_is_bounded', async t => {
  fc.assert(fc.property(fc.oneof(json, answer, fc.array(text)), fc.integer({ min: 4, max: 256 }), (value, size) => {
    const chunks = [...jsonChunks(value, size)]
    t.equal(chunks.join(''), JSON.stringify(value))
    // A piece passes the size only by the last whole subterm or name added (at most `size` more).
    for (const chunk of chunks) if (chunk.length > 2 * size + 16) throw new Error(`a piece of ${chunk.length} characters (size ${size})`)
    for (const chunk of chunks.slice(0, -1)) {
      const last = chunk.charCodeAt(chunk.length - 1)
      if (last >= 0xd800 && last < 0xdc00) throw new Error('a piece ends inside a surrogate pair')
    }
    t.equal(Buffer.concat(chunks.map(c => Buffer.from(c))).toString(), Buffer.from(JSON.stringify(value)).toString(), 'encoded alone, the pieces are the same bytes')
  }), { numRuns: 300 })
})

t.test('a_one_mebibyte_answer_is_made_in_pieces_as_they_are_pulled', async t => {
  const shared = { key: 1, value: 'v'.repeat(1000) }
  const value = { results: [Array.from({ length: 1000 }, () => shared)] }
  const chunks = jsonChunks(value, 16 * 1024)
  const first = chunks.next()
  t.ok(!first.done && first.value.length < 40 * 1024, 'the first piece is small')
  const rest = [...chunks]
  t.ok(rest.length > 50, `${rest.length + 1} pieces`)
  t.equal(first.value + rest.join(''), JSON.stringify(value))
})
