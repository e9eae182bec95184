/**
 * One write, many waiting readers, against a real server with a 256 MiB
 * heap: the readers share the bytes of what they are sent, so the cost is
 * one copy of the events, not one per reader (2,000 long-polls woken by a
 * 1 MB write held 2 GB of copies).
 */
import { createHash } from 'node:crypto'
import { get } from 'node:http'
import t from 'tap'
import { call, hostileServer } from './support.js'

const POLLS = 400
const RSS_BOUND_MB = 400

/** A GET whose body is only hashed as it comes: the test process keeps no copy. */
function hashedGet (url: string): Promise<{ status: number; bytes: number; sha: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, res => {
      const hash = createHash('sha256')
      let bytes = 0
      res.on('data', (chunk: Buffer) => { hash.update(chunk); bytes += chunk.length })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha: hash.digest('hex') }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

t.test('long_polls_woken_by_one_large_write_share_its_answer', async t => {
  const server = await hostileServer(t, ['--max-streams', String(POLLS)])
  const { url } = server
  await call(url, '/v1/tables', { name: 'feed' })
  const polls = Array.from({ length: POLLS }, () => hashedGet(`${url}/v1/tables/feed/changes?since=0&wait=60`))
  // All are waiting once one more is refused for want of room.
  for (let tries = 0; ; tries++) {
    const extra = await call(url, '/v1/tables/feed/changes?since=0&wait=1', undefined, 'GET')
    if (extra.status === 503 && extra.json.code === 'too_many_streams') break
    if (tries > 200) throw new Error(`the polls never all waited: ${extra.status}`)
  }
  // Two 500 KB values in one insert: a 1 MB event.
  const objects = [0, 1].map(i => ({ key: i, value: String(i).repeat(500_000) }))
  t.equal((await call(url, '/v1/tables/feed/insert', { objects })).status, 204)
  const answers = await Promise.all(polls)
  t.ok(answers.every(a => a.status === 200), 'every poll answered 200')
  t.ok(answers[0].bytes > 1_000_000, `the event (${answers[0].bytes} bytes)`)
  t.equal(new Set(answers.map(a => a.sha)).size, 1, 'every poll was sent the same bytes')
  t.comment(`${POLLS} polls of ${answers[0].bytes} bytes: peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(server.peakRssMb() < RSS_BOUND_MB, `peak RSS ${server.peakRssMb().toFixed(0)} MiB`)
  t.ok(server.alive())
})
