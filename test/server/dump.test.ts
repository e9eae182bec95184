/**
 * The NDJSON dump streams: it reads the table as the client reads the
 * socket (back-pressure), so its memory does not grow with the table.
 */
import { get, type IncomingMessage } from 'node:http'
import { createInterface } from 'node:readline'
import t from 'tap'
import { listen } from '../helpers.js'

const OBJECTS = 500_000

t.test('a_dump_follows_the_reader_and_sees_objects_added_while_it_waits', async t => {
  const { app, url } = await listen(t)
  await app.tables.create('big', 'set')
  for (let i = 0; i < OBJECTS; i += 10_000) {
    await app.tables.write('big', 'insert', { objects: Array.from({ length: 10_000 }, (_, j) => ({ key: i + j, value: { n: i + j } })) })
  }
  const response = await new Promise<IncomingMessage>(resolve => get(`${url}/v1/tables/big/dump`, resolve))
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /application\/x-ndjson/)
  // Stop reading at once: a server that ignored back-pressure would have
  // walked the whole table by now, and would never see the object added next.
  response.pause()
  await app.tables.write('big', 'insert', { objects: [{ key: 'added-while-paused', value: 1 }] })
  let lines = 0
  let sawAdded = false
  for await (const line of createInterface({ input: response })) {
    lines++
    if (line === '{"key":"added-while-paused","value":1}') sawAdded = true
  }
  t.equal(lines, OBJECTS + 1, 'every object, one per line')
  t.ok(sawAdded, 'the dump was still reading the table when the object was added')
})
