/**
 * A FIFO with O(1) push and shift (amortised), and the two extra moves a
 * mailbox needs: put a batch back at the front, and remove one item.
 */
export class Queue<T> {
  private items: T[] = []
  private head = 0

  get length (): number { return this.items.length - this.head }

  push (item: T): void { this.items.push(item) }

  /** The first item, left in place. */
  peek (): T | undefined { return this.head === this.items.length ? undefined : this.items[this.head] }

  shift (): T | undefined {
    if (this.head === this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined as T
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Puts `batch` before everything queued, keeping its order. O(n). */
  unshiftAll (batch: readonly T[]): void {
    this.items = [...batch, ...this.items.slice(this.head)]
    this.head = 0
  }

  /** Removes `item` if queued; says whether it was. O(n). */
  remove (item: T): boolean {
    const at = this.items.indexOf(item, this.head)
    if (at < 0) return false
    this.items.splice(at, 1)
    return true
  }

  /** Empties the queue, returning what it held in order. */
  drain (): T[] {
    const rest = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return rest
  }
}
