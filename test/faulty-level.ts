/**
 * A LevelDB stand-in (memory-level) for faults a real disk cannot be made
 * to give on cue: its writes fail while `failing` is set, it counts the
 * writes it takes, and `afterBatch` runs once a batch is written (a test
 * crashes a process there). It also tells what each batch asked of the
 * disk (its keys, and whether it must be fsync'd), and holds batches while
 * `gate` is pending, as a slow disk would; and it fails the next
 * `failingReads` reads (get, getMany). Use it through `Catalog.over(db)`.
 */
import { MemoryLevel } from 'memory-level'

/** abstract-level's private implementation methods, which its types leave out. */
interface Implementation {
  _batch (operations: never[], options: never): Promise<void>
  _put (key: never, value: never, options: never): Promise<void>
  _get (key: never, options: never): Promise<string | undefined>
  _getMany (keys: never[], options: never): Promise<Array<string | undefined>>
}
const base = MemoryLevel.prototype as unknown as Implementation

/** A batch as the database took it: its keys, sublevel prefixes included, and classic-level's `sync` option. */
export interface TakenBatch { keys: string[]; sync: boolean }

export class FaultyLevel extends MemoryLevel<string, string> implements Implementation {
  failing = false
  /** Reads still to fail, one each. */
  failingReads = 0
  writes = 0
  afterBatch: (() => void) | undefined
  /** While set, each batch waits for it before it is written. */
  gate: Promise<void> | undefined
  private readonly batchWaiters: Array<{ wanted: (batch: TakenBatch) => boolean; resolve: (batch: TakenBatch) => void }> = []

  /** Resolves with the next batch taken that is `wanted`, as it starts (before the gate). */
  nextBatch (wanted: (batch: TakenBatch) => boolean = () => true): Promise<TakenBatch> {
    return new Promise(resolve => { this.batchWaiters.push({ wanted, resolve }) })
  }

  async _batch (operations: never[], options: never): Promise<void> {
    if (this.failing) throw Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR' })
    this.writes++
    const taken: TakenBatch = {
      keys: (operations as Array<{ key: unknown }>).map(operation => String(operation.key)),
      sync: (options as { sync?: unknown } | undefined)?.sync === true,
    }
    for (const waiter of this.batchWaiters.splice(0)) {
      if (waiter.wanted(taken)) waiter.resolve(taken)
      else this.batchWaiters.push(waiter)
    }
    await this.gate
    await base._batch.call(this, operations, options)
    this.afterBatch?.()
  }

  async _put (key: never, value: never, options: never): Promise<void> {
    if (this.failing) throw new Error('IO error: No space left on device')
    this.writes++
    return await base._put.call(this, key, value, options)
  }

  async _get (key: never, options: never): Promise<string | undefined> {
    this.failRead()
    return await base._get.call(this, key, options)
  }

  async _getMany (keys: never[], options: never): Promise<Array<string | undefined>> {
    this.failRead()
    return await base._getMany.call(this, keys, options)
  }

  private failRead (): void {
    if (this.failingReads === 0) return
    this.failingReads--
    throw Object.assign(new Error('IO error: Input/output error'), { code: 'LEVEL_IO_ERROR' })
  }
}
