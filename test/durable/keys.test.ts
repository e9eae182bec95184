/**
 * Keys on disk: every JSON term a client can send as a key is stored under
 * a LevelDB key that reads back as that term, and distinct keys stay
 * distinct. LevelDB stores UTF-8, which cannot hold a lone surrogate (JSON
 * can: `"\ud800"`), so those are the keys most at risk.
 */
import fc from 'fast-check'
import t from 'tap'
import { termEquals, termKey, type Term } from '../../src/ets/term.js'
import { decodeKey, storageKey } from '../../src/tables/storage.js'
import { tempDir, valuesOf } from '../helpers.js'
import { durableService, loaded } from './support.js'

t.setTimeout(60_000)

/** Lone surrogates, a pair, and their neighbours: strings LevelDB's UTF-8 would merge or mangle. */
const NASTY: Term[] = [
  '\ud800', '\udc00', '\udbff', 'a\ud800b', '\ud800\udc00', '\udc00\ud800', '\ufffd', '"', '"\ud800"', 's', '', 'sa',
  ['\ud800'], { '\ud800': 1 }, { '\udc00': 1 }, 0, -0.5, true, null,
]

const term = fc.letrec<{ term: Term }>(tie => ({
  term: fc.oneof({ depthSize: 'small' },
    fc.string({ unit: 'binary' }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
    fc.array(tie('term'), { maxLength: 3 }), fc.dictionary(fc.string({ unit: 'binary' }), tie('term'), { maxKeys: 3 })),
})).term

t.test('a key reads back from its storage form as the same term, and distinct keys never share one', async t => {
  fc.assert(fc.property(term, term, (a, b) => {
    if (!termEquals(decodeKey(storageKey(a)), a)) return false
    return termEquals(a, b) === (storageKey(a) === storageKey(b))
  }), { numRuns: 2000 })
  t.equal(new Set(NASTY.map(storageKey)).size, NASTY.length, 'the nasty keys: one storage key each')
  t.equal(storageKey('plain'), termKey('plain'), 'a well-formed string keeps termKey\'s form (what is on disk already)')
})

t.test('lone-surrogate keys of a disk table come back after a restart, each with its own value', async t => {
  const dataDir = await tempDir(t)
  const first = await durableService(t, dataDir)
  await first.service.create('d', 'set', 'disk')
  for (const [i, key] of NASTY.entries()) await first.service.write('d', 'insert', { key, value: i })
  await first.service.stop()

  const second = await durableService(t, dataDir)
  await loaded(second.service)
  t.equal((await second.service.info('d')).size, NASTY.length, 'as many keys as were written')
  for (const [i, key] of NASTY.entries()) t.same(await valuesOf(second.service, 'd', key), [i], JSON.stringify(key))
  t.same(second.reports, [], 'no record needed repair')
})
