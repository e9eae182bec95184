/**
 * The dashboard in a real headless browser (Debian's chromium, driven by
 * puppeteer-core) against a real server on 127.0.0.1: tables created
 * through the UI, 10k objects paged, a match-spec filter, a bulk delete, a
 * handler crashed by its button (new pid, same object count), a server
 * restarted under the page (a reload that fails once tried again), a table
 * renamed or dropped under it, or dropped and created again while the page
 * was away, new keys drawn up to a page's size, and with a token nothing
 * loading until it is given. Every wait is on a selector or a
 * condition in the page, bounded by the test's timeout; screenshots of
 * each screen go to .scratch/screenshots (printed).
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import t, { type Test } from 'tap'
import type { App } from '../../src/server.js'
import { build, listen, tempDir } from '../helpers.js'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const SHOTS = join(process.cwd(), '.scratch', 'screenshots')
const WAIT = { timeout: 20_000 }

if (!existsSync(CHROMIUM)) {
  t.plan(0, `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`)
} else {
  await mkdir(SHOTS, { recursive: true })
  t.comment(`screenshots: ${SHOTS}`)
  const browser: Browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  })
  t.teardown(() => browser.close())

  /** A new page, closed when `t` ends (unless closed before). */
  const open = async (t: Test): Promise<Page> => {
    const page = await browser.newPage()
    t.teardown(async () => { if (!page.isClosed()) await page.close() })
    await page.setViewport({ width: 1280, height: 900 })
    page.setDefaultTimeout(WAIT.timeout)
    await page.evaluateOnNewDocument(() => {
      const w = window as any
      w.badges = []
      new MutationObserver(() => { const b = document.querySelector('.badge')?.textContent; if (b !== undefined && b !== w.badges[w.badges.length - 1]?.split('@')[0]) w.badges.push(`${b}@${Math.round(performance.now())}`) })
        .observe(document, { subtree: true, childList: true, characterData: true })
    })
    return page
  }
  const shot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  }
  const text = async (page: Page, selector: string): Promise<string> => await page.$eval(selector, e => e.textContent ?? '')
  const waitText = async (page: Page, selector: string, pattern: RegExp): Promise<void> => {
    await page.waitForFunction((s, source) => new RegExp(source).test(document.querySelector(s)?.textContent ?? ''), WAIT, selector, pattern.source).catch(async (error: Error) => {
      const now = await page.evaluate(() => [document.querySelector('.badge')?.textContent, document.querySelector('.message')?.textContent, document.querySelector('#objects')?.textContent, document.visibilityState, String((window as any).badges)])
      throw new Error(`DEBUG waiting for ${selector} ${pattern.source}: ${JSON.stringify(now)}: ${error.message}`)
    })
  }
  /** Waits until a table's page shows it empty and follows it live. */
  const emptyAndLive = async (page: Page): Promise<void> => {
    await waitText(page, '#objects', /No objects/)
    await waitText(page, '.badge', /live/)
  }
  /** A server with an empty set `name`, and a page on it, live. */
  const onEmptyTable = async (t: Test, name: string): Promise<{ app: App; page: Page }> => {
    const { app, url } = await listen(t)
    await app.tables.create(name, 'set')
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/tables/${name}`)
    await emptyAndLive(page)
    return { app, page }
  }
  const seed = async (app: App, name: string, n: number): Promise<void> => {
    await app.tables.create(name, 'set')
    for (let i = 0; i < n; i += 1000) {
      const objects = Array.from({ length: Math.min(1000, n - i) }, (_, j) => {
        const at = i + j
        return { key: `k${String(at).padStart(5, '0')}`, value: { n: at, even: at % 2 === 0 } }
      })
      await app.tables.write(name, 'insert', { objects })
    }
  }
  const keysShown = async (page: Page): Promise<string[]> => await page.$$eval('#objects tbody th', cells => cells.map(c => c.textContent ?? ''))
  /**
   * The server again on the same data directory and port, as after a
   * restart (the first one closed); `before` runs before it listens, so
   * the page cannot reach it until then.
   */
  const restart = async (t: Test, dataDir: string, url: string, before: (app: App) => Promise<void>): Promise<App> => {
    const app = await build(t, { dataDir })
    await before(app)
    await app.listen({ port: Number(new URL(url).port), host: '127.0.0.1' })
    return app
  }
  /**
   * The page away while `meanwhile` runs: its connections cut and the
   * browser offline, so that every reconnect fails until it is back (then
   * the page's next retry, within 1 s, connects).
   */
  const whileAway = async (page: Page, app: App, meanwhile: () => Promise<void>): Promise<void> => {
    await page.setOfflineMode(true)
    app.server.closeAllConnections()
    await waitText(page, '.badge', /reconnecting/)
    await meanwhile()
    await page.setOfflineMode(false)
  }
  /** Fails the page's requests that `fails` picks (a network error, as when the server is unreachable). */
  const failRequests = async (page: Page, fails: (method: string, path: string) => boolean): Promise<void> => {
    await page.setRequestInterception(true)
    page.on('request', request => {
      if (fails(request.method(), new URL(request.url()).pathname)) void request.abort('connectionreset')
      else void request.continue()
    })
  }

  t.test('tables: the root redirects, first paint, create through the form, sort, filter, drop', async t => {
    const { app, url } = await listen(t, { faults: true })
    await seed(app, 'big', 50)
    const page = await open(t)
    await page.goto(`${url}/`)
    t.equal(new URL(page.url()).pathname, '/dashboard/', 'the root redirects to the dashboard')
    await page.waitForSelector('#tables tr[data-table="big"]')
    // First paint as a user sees it: a browser already running (the first page above paid its start), no HTTP cache.
    const fresh = await open(t)
    await fresh.setCacheEnabled(false)
    await fresh.goto(`${url}/`)
    await fresh.waitForSelector('#tables tr[data-table="big"]')
    const paint = await fresh.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1)
    await fresh.close()
    t.comment(`first contentful paint: ${Math.round(paint)} ms`)
    t.ok(paint > 0 && paint < 1000, 'first paint under 1 s')

    for (const [name, type] of [['fruits', 'ordered_set'], ['events', 'bag']]) {
      await page.type('input[name="name"]', name)
      await page.select('select[name="type"]', type)
      await page.click('form.inline button[type="submit"]')
      await page.waitForSelector(`#tables tr[data-table="${name}"]`)
      t.equal(await text(page, `#tables tr[data-table="${name}"] td[data-column="type"]`), type, `${name} created as ${type}`)
    }
    t.equal((await app.tables.info('fruits')).type, 'ordered_set', 'the server has the table')

    // Sorted by objects, largest first: big (50) before the empty ones.
    const [sortByObjects] = await page.$$('xpath/.//button[contains(., "Objects")]')
    await sortByObjects.click()
    await sortByObjects.click()
    await page.waitForSelector('th[aria-sort="descending"]')
    t.equal(await page.$eval('#tables tbody tr', row => row.getAttribute('data-table')), 'big', 'sorted by size, descending')
    await shot(page, '1-tables')

    await page.type('input[name="filter"]', 'fru')
    await page.waitForFunction(() => document.querySelectorAll('#tables tbody tr').length === 1)
    t.equal(await page.$eval('#tables tbody tr', row => row.getAttribute('data-table')), 'fruits', 'filtered by name')

    page.once('dialog', dialog => { void dialog.accept() })
    await page.click('button[aria-label="Drop table fruits"]')
    await page.waitForFunction(() => document.querySelector('#tables tr[data-table="fruits"]') === null)
    await t.rejects(app.tables.info('fruits'), { code: 'table_not_found' }, 'dropped after the confirmation')
  })

  t.test('a table: 10k objects paged, a live change, a match-spec filter, bulk delete', async t => {
    const { app, url } = await listen(t, { faults: true })
    await seed(app, 'big', 10_000)
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/tables/big`)
    await page.waitForSelector('#objects tbody tr')
    await waitText(page, '.badge', /live/)

    await page.select('select[name="limit"]', '500')
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody tr').length === 500)
    const keys = new Set<string>()
    for (let n = 1; ; n++) {
      await waitText(page, '#page-number', new RegExp(`^Page ${n}$`))
      await page.waitForFunction(() => document.querySelector('#objects tbody tr') !== null)
      for (const key of await page.$$eval('#objects tbody th', cells => cells.map(c => c.textContent ?? ''))) keys.add(key)
      if (await page.$eval('xpath/.//button[.="Next page"]', b => (b as HTMLButtonElement).disabled)) break
      const first = await text(page, '#objects tbody th')
      await page.click('xpath/.//button[.="Next page"]')
      await page.waitForFunction(previous => document.querySelector('#objects tbody th')?.textContent !== previous, WAIT, first)
    }
    t.equal(keys.size, 10_000, 'every object seen once, 500 a page')
    t.equal(await text(page, '#page-number'), 'Page 20')

    await page.click('xpath/.//button[.="First page"]')
    await waitText(page, '#page-number', /^Page 1$/)
    await waitText(page, '#objects tbody th', /^"k00000"$/)
    await app.tables.write('big', 'insert', { key: 'k00001', value: { n: 1, even: false, edited: 'live' } })
    await page.waitForSelector('#objects tr.changed')
    t.match(await text(page, '#objects tr.changed'), /"edited":"live"/, 'a write shows up live on the page')
    await waitText(page, '[data-fact="revision"]', /^11$/)

    // value compares: n < 10
    await page.type('input[name="member"]', 'n')
    await page.select('select[name="comparison"]', '<')
    await page.type('input[name="operand"]', '10')
    await page.click('form.spec button[type="submit"]')
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody tr').length === 10)
    t.same(await page.$$eval('#objects tbody th', cells => cells.map(c => c.textContent)),
      Array.from({ length: 10 }, (_, i) => `"k0000${i}"`), 'the filter lists n < 10')
    t.match(await page.$eval('textarea[name="spec"]', e => (e as HTMLTextAreaElement).value), /"guards"/, 'the raw editor shows the built spec')
    await shot(page, '2-table-filtered')

    // bulk delete: even == true, counted first, confirmed
    await page.$eval('input[name="member"]', e => { (e as HTMLInputElement).value = '' })
    await page.type('input[name="member"]', 'even')
    await page.select('select[name="comparison"]', '==')
    await page.$eval('input[name="operand"]', e => { (e as HTMLInputElement).value = '' })
    await page.type('input[name="operand"]', 'true')
    const asked = new Promise<string>(resolve => page.once('dialog', dialog => { resolve(dialog.message()); void dialog.accept() }))
    await page.click('xpath/.//button[contains(., "Delete matching")]')
    t.match(await asked, /Delete 5,000 matching objects/, 'the count comes first')
    await waitText(page, '.message', /Deleted 5,000 objects/)
    t.equal((await app.tables.info('big')).size, 5000, 'half the table is gone')
    await waitText(page, '[data-fact="size"]', /^5,000$/)
    await shot(page, '3-table-bulk-deleted')
  })

  t.test('processes: crash a handler with its button; a new pid, the same object count, the timeline', async t => {
    const { app, url } = await listen(t, { faults: true })
    await seed(app, 'big', 2000)
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/processes`)
    const handler = 'li[data-process="table_handler:big"]'
    await page.waitForSelector(`${handler} button[aria-label="Crash table_handler:big"]`)
    await waitText(page, '.badge', /live/)
    const before = await text(page, `${handler} [data-field="pid"]`)
    t.match(before, /^<0\.\d+\.0>$/)
    await page.click(`${handler} button`)
    await page.waitForFunction((s, old) => {
      const pid = document.querySelector(`${s} [data-field="pid"]`)?.textContent
      return pid !== undefined && pid !== old && /^<0\.\d+\.0>$/.test(pid)
    }, WAIT, handler, before)
    const after = await text(page, `${handler} [data-field="pid"]`)
    t.not(after, before, `the handler has a new pid (${before} → ${after})`)
    await waitText(page, `${handler} [data-field="restarts"]`, /restarts: 1/)
    t.match(await text(page, `${handler} [data-field="tables"]`), /big \(2,000 objects\)/, 'the same object count')
    await page.waitForSelector('#timeline li[data-type="process_crashed"]')
    await page.waitForSelector('#timeline li[data-type="child_restarted"]')
    t.match(await text(page, '#timeline'), /inherited by its heir/, 'the table went to the heir and back')
    t.equal((await app.tables.info('big')).size, 2000)
    await shot(page, '4-processes-after-crash')
  })

  t.test('processes: a node with more lifecycle events than it keeps draws the oldest kept, and stays live', async t => {
    const { app, url } = await listen(t, { faults: true })
    // Each create and drop is a few events (created, started, given away, dropped, exited…).
    const start = app.tables.lifecycle.lastId
    for (let i = 0; app.tables.lifecycle.lastId - start <= 1200; i++) {
      await app.tables.create(`t${i}`, 'set')
      await app.tables.drop(`t${i}`)
    }
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/processes`)
    await waitText(page, '.badge', /live/) // since=0 is older than what is kept: 410, then from the oldest kept
    await page.waitForSelector('#timeline li[data-type="table_dropped"]')
    await app.tables.create('after', 'set')
    await page.waitForSelector('#timeline li[data-type="table_created"]')
    await page.waitForFunction(() => document.querySelector('#timeline')?.textContent?.includes('after') === true, WAIT)
    t.match(await text(page, '.badge'), /live/, 'still live')
  })

  t.test('tables and processes: 300 tables created in a burst reload each list a few times, not once per event', async t => {
    // Each table created is a few lifecycle events; a page reloading its list on each
    // kept a server of 10,000 tables busy with nothing else. A reload starts at most
    // every 250 ms (useReload), besides the tables view's refresh every 2 s.
    const { app, url } = await listen(t)
    for (const [view, listed, last] of [['', '/v1/tables', '#tables tr[data-table="a299"]'], ['#/processes', '/v1/processes', 'li[data-process="table_handler:b299"]']]) {
      const prefix = view === '' ? 'a' : 'b'
      const page = await open(t)
      await page.goto(`${url}/dashboard/${view}`)
      await waitText(page, '.badge', /live/)
      let lists = 0
      page.on('request', request => { if (request.method() === 'GET' && new URL(request.url()).pathname === listed) lists++ })
      const started = performance.now()
      for (let i = 0; i < 300; i++) await app.tables.create(`${prefix}${i}`, 'set')
      await page.waitForSelector(last)
      const elapsed = performance.now() - started
      const most = 2 + Math.ceil(elapsed / 250) + Math.ceil(elapsed / 2000)
      t.ok(lists <= most, `${listed}: ${lists} reloads in ${Math.round(elapsed)} ms (at most ${most}), for 300 tables`)
      await page.close()
    }
  })

  t.test('tables: an error of a refresh goes away once a later refresh succeeds', async t => {
    const dataDir = await tempDir(t)
    const { app, url } = await listen(t, { dataDir })
    await app.tables.create('kept', 'set')
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/tables`)
    await page.waitForSelector('#tables tr[data-table="kept"]')
    await app.close()
    await waitText(page, '.message', /Failed to fetch/) // the next 2 s refresh
    await restart(t, dataDir, url, async again => { await again.tables.create('later', 'set') })
    await page.waitForSelector('#tables tr[data-table="later"]') // a refresh succeeded
    t.equal(await page.$('.message.error'), null, 'the old error is gone')
  })

  t.test('a table: new keys that belong in the page shown are drawn, others counted', async t => {
    const { app, page } = await onEmptyTable(t, 'empty')
    await app.tables.write('empty', 'insert', { key: 'first', value: 1 })
    await waitText(page, '[data-fact="revision"]', /^1$/) // the info is read again after the event is applied
    t.same(await keysShown(page), ['"first"'], 'a new key on an empty table is drawn')
    t.equal(await page.$('.notice'), null, 'and not counted as outside')

    // An ordered_set of k00, k02 … k58 a page of 25: page 1 holds k00 … k48, k50 … k58 are on page 2.
    await app.tables.create('sorted', 'ordered_set')
    await app.tables.write('sorted', 'insert', { objects: Array.from({ length: 30 }, (_, i) => ({ key: `k${String(2 * i).padStart(2, '0')}`, value: i })) })
    await page.evaluate(() => { window.location.hash = '#/tables/sorted' })
    await page.select('select[name="limit"]', '25')
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 25)
    await waitText(page, '.badge', /live/)
    await app.tables.write('sorted', 'insert', { key: 'k03', value: 'in this page' })
    await app.tables.write('sorted', 'insert', { key: 'k51', value: 'on the next page' })
    await waitText(page, '[data-fact="revision"]', /^3$/)
    const keys = await keysShown(page)
    t.same(keys.slice(0, 4), ['"k00"', '"k02"', '"k03"', '"k04"'], 'k03 drawn in its place')
    t.equal(keys.length, 26)
    t.notOk(keys.includes('"k51"'), 'k51 not drawn')
    t.match(await text(page, '.notice'), /^1 change\(s\) to keys outside this page/, 'k51 counted')
  })

  t.test('a table renamed or dropped: the page says so, a rename with a link to the new name', async t => {
    const { app, url } = await listen(t)
    await app.tables.create('before', 'set')
    await app.tables.create('doomed', 'set')
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/tables/before`)
    await waitText(page, '.badge', /live/)
    await app.tables.rename('before', 'after')
    await waitText(page, '.badge', /stopped/)
    t.match(await text(page, '#table-ended'), /renamed to after/)
    await shot(page, '7-table-renamed')
    await page.click('#table-ended a')
    await waitText(page, '#table-heading', /^Table after$/)
    await waitText(page, '.badge', /live/)
    t.equal(await page.$('#table-ended'), null, 'the new name\'s page is live')

    await page.evaluate(() => { window.location.hash = '#/tables/doomed' })
    await waitText(page, '#table-heading', /^Table doomed$/)
    await waitText(page, '.badge', /live/)
    await app.tables.drop('doomed')
    await waitText(page, '.badge', /stopped/)
    t.match(await text(page, '#table-ended'), /was dropped/)
  })

  t.test('a page that is the whole table draws new keys up to its page size, then counts them', async t => {
    // 100 a page (the default): a size chosen in the page would race its reload with the writes.
    const { app, page } = await onEmptyTable(t, 'bulk')
    const key = (i: number): string => `k${String(i).padStart(4, '0')}`
    await app.tables.write('bulk', 'insert', { objects: Array.from({ length: 2000 }, (_, i) => ({ key: key(i), value: i })) })
    await waitText(page, '[data-fact="revision"]', /^1$/)
    t.same(await keysShown(page), Array.from({ length: 100 }, (_, i) => `"${key(i)}"`), 'the first 100, as the page would be read')
    t.match(await text(page, '.notice'), /^1900 change\(s\) to keys outside this page/, 'the others counted')
    // Room again, but a key counted before would come first: none drawn until a reload.
    await app.tables.write('bulk', 'delete', { key: key(0) })
    await app.tables.write('bulk', 'insert', { key: 'later', value: 0 })
    await waitText(page, '[data-fact="revision"]', /^3$/)
    t.equal((await keysShown(page)).length, 99, 'a deleted row goes, a later key is not drawn in its room')
    t.match(await text(page, '.notice'), /^1901 change\(s\)/)

    // An ordered_set page that is the whole table, one row short of full: its open ends take one key more.
    await app.tables.create('sorted', 'ordered_set')
    await app.tables.write('sorted', 'insert', { objects: Array.from({ length: 99 }, (_, i) => ({ key: key(i + 1), value: i })) })
    await page.evaluate(() => { window.location.hash = '#/tables/sorted' })
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 99)
    await waitText(page, '.badge', /live/)
    await app.tables.write('sorted', 'insert', { key: key(0), value: 'first' })
    await app.tables.write('sorted', 'insert', { key: key(100), value: 'last' })
    await waitText(page, '[data-fact="revision"]', /^3$/)
    const keys = await keysShown(page)
    t.same([keys.length, keys[0], keys[99]], [100, `"${key(0)}"`, `"${key(99)}"`], 'the key before the first drawn, in its place')
    t.match(await text(page, '.notice'), /^1 change\(s\)/, 'the key after the last counted: the page was full')
  })

  t.test('a table renamed while the page was away: the notice, and no refresh of the old name after it', async t => {
    const { app, url } = await listen(t)
    await app.tables.create('away', 'set')
    await app.tables.write('away', 'insert', { key: 'a', value: 1 })
    const page = await open(t)
    // Every fetch the page makes, and whether the end was shown when it was made.
    await page.evaluateOnNewDocument(() => {
      const calls: Array<{ method: string; url: string; ended: boolean }> = []
      const fetch = window.fetch.bind(window)
      Object.assign(window, { calls })
      window.fetch = async (input, init) => {
        calls.push({ method: init?.method ?? 'GET', url: String(input), ended: document.querySelector('#table-ended') !== null })
        return await fetch(input, init)
      }
    })
    await page.goto(`${url}/dashboard/#/tables/away`)
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 1)
    await waitText(page, '.badge', /live/)
    await whileAway(page, app, async () => {
      await app.tables.write('away', 'insert', { key: 'a', value: 2 })
      await app.tables.rename('away', 'elsewhere')
    })
    // Back: the missed write, then `renamed`, read together: the write's info refresh was due 200 ms after it.
    await waitText(page, '#table-ended', /renamed to elsewhere/)
    t.match(await text(page, '#objects tbody tr'), /"a"\s*2/, 'the missed write drawn')
    // A timer set now for 200 ms runs after the page's, set for 200 ms before the end was read (timers run in deadline order).
    const after = await page.evaluate(async () => {
      await new Promise(resolve => setTimeout(resolve, 200))
      return (window as unknown as { calls: Array<{ method: string; url: string; ended: boolean }> }).calls.filter(call => call.ended)
    })
    t.same(after, [], 'nothing read after the end (the old name is not this table\'s)')
    t.equal(await page.$('.message.error'), null, 'no error beside the notice')
  })

  t.test('a table page after a server restart: reloaded, not events drawn on rows that are gone', async t => {
    const dataDir = await tempDir(t)
    const { app, url } = await listen(t, { dataDir })
    await app.tables.create('memo', 'set')
    for (const key of ['gone1', 'gone2', 'gone3']) await app.tables.write('memo', 'insert', { key, value: 'before' })
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/tables/memo`)
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 3)
    await waitText(page, '.badge', /live/)
    await app.close()
    await waitText(page, '.badge', /reconnecting/)
    // The memory table comes back empty, and is written past the page's revision (3) before the server listens:
    // the page's reconnect with since=3 is accepted, and only new4's event comes after it.
    await restart(t, dataDir, url, async again => {
      for (const key of ['new1', 'new2', 'new3', 'new4']) await again.tables.write('memo', 'insert', { key, value: 'after' })
    })
    // Live again, and new4's write seen (the info is read again after an event, or by the reload before going live).
    await waitText(page, '.badge', /live/)
    await waitText(page, '[data-fact="revision"]', /^4$/)
    t.same(await keysShown(page), ['"new1"', '"new2"', '"new3"', '"new4"'], 'the table as the new run has it')
  })

  t.test('a table page after a restart: the error of an info refresh that failed while the server was away goes', async t => {
    const dataDir = await tempDir(t)
    const { app, url } = await listen(t, { dataDir })
    await app.tables.create('idle', 'set')
    const page = await open(t)
    let infoFails = false
    await failRequests(page, (method, path) => infoFails && method === 'GET' && path === '/v1/tables/idle')
    await page.goto(`${url}/dashboard/#/tables/idle`)
    await emptyAndLive(page)
    infoFails = true
    await app.tables.write('idle', 'insert', { key: 'x', value: 1 })
    await waitText(page, '.message.error', /Failed to fetch/) // the info refresh after the event
    infoFails = false
    await app.close()
    await waitText(page, '.badge', /reconnecting/)
    await restart(t, dataDir, url, async () => {})
    // The memory table came back empty: the page reloads it (its info too), then goes live.
    await emptyAndLive(page)
    t.equal(await page.$('.message.error'), null, 'the refresh\'s error went with the reload')
  })

  t.test('a table page whose reload after a restart fails once: tried again, then the new run\'s rows followed', async t => {
    const dataDir = await tempDir(t)
    const { app, url } = await listen(t, { dataDir })
    await app.tables.create('memo', 'set')
    for (const key of ['gone1', 'gone2']) await app.tables.write('memo', 'insert', { key, value: 'before' })
    const page = await open(t)
    let failNext = false
    await failRequests(page, (method, path) => {
      if (!failNext || method !== 'GET' || path !== '/v1/tables/memo') return false
      failNext = false
      return true
    })
    await page.goto(`${url}/dashboard/#/tables/memo`)
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 2)
    await waitText(page, '.badge', /live/)
    await app.close()
    await waitText(page, '.badge', /reconnecting/)
    // The reload's first read of the table's info fails, after it read the new run's node id.
    const again = await restart(t, dataDir, url, async again => {
      for (const key of ['new1', 'new2', 'new3']) await again.tables.write('memo', 'insert', { key, value: 'after' })
      failNext = true
    })
    await waitText(page, '.badge', /live|stopped/)
    t.match(await text(page, '.badge'), /live/, 'not stopped by one failed request')
    t.notOk(failNext, 'a request did fail')
    t.same(await keysShown(page), ['"new1"', '"new2"', '"new3"'], 'the new run\'s rows, not events on the old ones')
    t.equal(await page.$('.message.error'), null, 'the failure\'s message went with the reload')
    await again.tables.write('memo', 'insert', { key: 'new4', value: 'after' })
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 4)
    t.same(await keysShown(page), ['"new1"', '"new2"', '"new3"', '"new4"'], 'and followed')
  })

  t.test('a table dropped and created again while the page was away: reloaded, and said', async t => {
    const { app, url } = await listen(t)
    await app.tables.create('again', 'set')
    for (const key of ['gone1', 'gone2', 'gone3']) await app.tables.write('again', 'insert', { key, value: 'old table' })
    const page = await open(t)
    await page.goto(`${url}/dashboard/#/tables/again`)
    await page.waitForFunction(() => document.querySelectorAll('#objects tbody th').length === 3)
    await waitText(page, '.badge', /live/)
    // The new table written past the page's revision (3): the page's since=3 is read as the new table's.
    await whileAway(page, app, async () => {
      await app.tables.drop('again')
      await app.tables.create('again', 'set')
      for (const key of ['new1', 'new2', 'new3', 'new4']) await app.tables.write('again', 'insert', { key, value: 'new table' })
    })
    await waitText(page, '.badge', /live/)
    await waitText(page, '[data-fact="revision"]', /^4$/)
    t.same(await keysShown(page), ['"new1"', '"new2"', '"new3"', '"new4"'], 'the new table\'s rows, not the old ones\'')
    t.match(await text(page, '.message'), /another table took its name/, 'said on the page')

    // Again, the new table not written: the page's since (5) is past its revision, a 410 rather than events.
    await page.type('input[name="new-key"]', 'mine')
    await page.type('input[name="new-value"]', '1')
    await page.click('form.inline button[type="submit"]')
    await waitText(page, '.message', /^Inserted mine$/)
    await waitText(page, '[data-fact="revision"]', /^5$/)
    await whileAway(page, app, async () => {
      await app.tables.drop('again')
      await app.tables.create('again', 'set')
    })
    await emptyAndLive(page)
    t.match(await text(page, '.message'), /another table took its name/, 'said after a 410 too')
  })

  t.test('with a token, nothing loads until it is given', async t => {
    const { url } = await listen(t, { token: 'sesame' })
    const page = await open(t)
    const answers: Array<{ url: string; status: number }> = []
    page.on('response', response => { if (new URL(response.url()).pathname.startsWith('/v1/')) answers.push({ url: response.url(), status: response.status() }) })
    await page.goto(`${url}/`)
    await page.waitForSelector('input#token')
    t.equal(await page.$('#tables'), null, 'no table list')
    t.ok(answers.length > 0 && answers.every(a => a.status === 401), 'every API call was refused')
    await shot(page, '5-token-asked')

    await page.type('input#token', 'wrong')
    await page.click('button[type="submit"]')
    await page.waitForSelector('[role="alert"]')
    t.match(await text(page, '[role="alert"]'), /refused/)
    t.equal(await page.$('#tables'), null, 'still nothing with a wrong token')

    await page.$eval('input#token', e => { (e as HTMLInputElement).value = '' })
    await page.type('input#token', 'sesame')
    await page.click('button[type="submit"]')
    await page.waitForSelector('#tables')
    t.equal(await page.evaluate(() => sessionStorage.getItem('heirloom.token')), 'sesame', 'kept in sessionStorage')
    await page.reload()
    await page.waitForSelector('#tables')
    t.equal(await page.$('input#token'), null, 'asked once: a reload does not ask again')
    await shot(page, '6-token-given')
  })
}
