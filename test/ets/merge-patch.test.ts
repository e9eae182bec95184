import t from 'tap'
import { applyMergePatch } from '../../src/ets/merge-patch.js'
import type { Term } from '../../src/ets/term.js'

// RFC 7396, Appendix A: [target, patch, result].
const EXAMPLES: Array<[string, string, string]> = [
  ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
  ['{"a":"b"}', '{"a":null}', '{}'],
  ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
  ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
  ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
  ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
  ['["a","b"]', '["c","d"]', '["c","d"]'],
  ['{"a":"b"}', '["c"]', '["c"]'],
  ['{"a":"foo"}', 'null', 'null'],
  ['{"a":"foo"}', '"bar"', '"bar"'],
  ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
  ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
  ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
]

t.test('RFC 7396 appendix A', async t => {
  for (const [target, patch, result] of EXAMPLES) {
    const before = JSON.parse(target) as Term
    t.same(applyMergePatch(before, JSON.parse(patch) as Term), JSON.parse(result), `${target} + ${patch}`)
    t.same(before, JSON.parse(target), 'the target is not changed')
  }
})

t.test('__proto__ is an ordinary member', async t => {
  const out = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": 1}}') as Term) as Record<string, unknown>
  t.same(Object.keys(out), ['__proto__'])
  t.equal(Object.getPrototypeOf(out), Object.prototype)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  const removed = applyMergePatch(JSON.parse('{"__proto__": 1, "a": 2}') as Term, JSON.parse('{"__proto__": null}') as Term)
  t.same(Object.keys(removed as object), ['a'])
})
