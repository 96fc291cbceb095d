/**
 * Splits a byte stream into `\n`-terminated lines with a length cap, for both
 * ends of the control socket. Works on bytes, not strings, so a UTF-8
 * character split across two reads is never mangled, and an over-long line is
 * noticed as soon as the cap is passed rather than when its newline arrives.
 */
export class LineTooLongError extends Error {
  constructor(readonly limitBytes: number) {
    super(`line longer than ${limitBytes} bytes`);
  }
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly limitBytes: number) {}

  /** The complete lines in `chunk` (without `\n` or a trailing `\r`).
   * Throws LineTooLongError once a line exceeds the cap. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      this.checkLength(this.pendingBytes + piece.length);
      lines.push(this.take(piece));
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    this.checkLength(this.pendingBytes + rest.length);
    if (rest.length > 0) {
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
    return lines;
  }

  /** What is left after the stream ended: a last line without its newline. */
  flush(): string | null {
    if (this.pendingBytes === 0) return null;
    return this.take(Buffer.alloc(0));
  }

  private checkLength(bytes: number): void {
    // A trailing \r is allowed beyond the cap: `nc -C` and friends send CRLF.
    if (bytes > this.limitBytes + 1) throw new LineTooLongError(this.limitBytes);
  }

  private take(last: Buffer): string {
    const bytes = this.pending.length === 0 ? last : Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.pendingBytes = 0;
    const text = bytes.toString('utf8');
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (Buffer.byteLength(line) > this.limitBytes) throw new LineTooLongError(this.limitBytes);
    return line;
  }
}
