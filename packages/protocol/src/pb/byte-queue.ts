/**
 * Bytes received but not yet decoded, kept as the chunks they arrived in. Reading a long string
 * that arrives in many small pieces then costs one copy when it is complete, not one per piece
 * (a peer trickling a 640 KiB string byte by byte must not make the receiver copy it 640,000 times).
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index in `chunks` of the first chunk with unread bytes (consumed chunks are dropped in batches). */
  private first = 0;
  /** Offset of the first unread byte in chunks[first]. */
  private head = 0;
  private size = 0;

  get length(): number { return this.size; }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The byte `index` bytes past the first unread one (index < length). */
  byteAt(index: number): number {
    let i = index + this.head;
    for (let c = this.first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c]!;
      if (i < chunk.length) return chunk[i]!;
      i -= chunk.length;
    }
    throw new RangeError(`byteAt(${index}) past the ${this.size} queued bytes`);
  }

  /** Removes and returns the next `n` bytes (n <= length); copies only when they span chunks. */
  take(n: number): Buffer {
    if (n > this.size) throw new RangeError(`take(${n}) past the ${this.size} queued bytes`);
    if (n === 0) return Buffer.alloc(0);
    const current = this.chunks[this.first]!;
    if (current.length - this.head >= n) {
      const out = current.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.first]!;
      const part = Math.min(chunk.length - this.head, n - filled);
      chunk.copy(out, filled, this.head, this.head + part);
      filled += part;
      this.advance(part);
    }
    return out;
  }

  private advance(n: number): void {
    this.size -= n;
    this.head += n;
    while (this.first < this.chunks.length && this.head >= this.chunks[this.first]!.length) {
      this.head -= this.chunks[this.first]!.length;
      this.first++;
    }
    // Drop consumed chunks in one go once they are most of the array: amortised O(1) per chunk.
    if (this.first === this.chunks.length || (this.first > 1024 && this.first * 2 > this.chunks.length)) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
