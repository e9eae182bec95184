import t from 'tap'
t.test('a', async t => { t.equal(1 + 1, 2) })
t.test('b', async t => { t.ok(true); t.ok(true) })
