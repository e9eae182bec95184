/**
 * A LevelDB stand-in (memory-level) for faults a real disk cannot be made
 * to give on cue: its writes fail while `failing` is set, it counts the
 * writes it takes, and `afterBatch` runs once a batch is written (a test
 * crashes a process there). Use it through `Catalog.over(db)`.
 */
import { MemoryLevel } from 'memory-level'

/** abstract-level's private implementation methods, which its types leave out. */
interface Implementation {
  _batch (operations: never[], options: never): Promise<void>
  _put (key: never, value: never, options: never): Promise<void>
}
const base = MemoryLevel.prototype as unknown as Implementation

export class FaultyLevel extends MemoryLevel<string, string> implements Implementation {
  failing = false
  writes = 0
  afterBatch: (() => void) | undefined

  async _batch (operations: never[], options: never): Promise<void> {
    if (this.failing) throw Object.assign(new Error('IO error: No space left on device'), { code: 'LEVEL_IO_ERROR' })
    this.writes++
    await base._batch.call(this, operations, options)
    this.afterBatch?.()
  }

  async _put (key: never, value: never, options: never): Promise<void> {
    if (this.failing) throw new Error('IO error: No space left on device')
    this.writes++
    return await base._put.call(this, key, value, options)
  }
}
