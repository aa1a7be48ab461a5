/**
 * Decodes standard base64 as it arrives, in pieces of any length, and judges the whole: the
 * alphabet, padding optional but only at the end, white space ignored (MIME-style line
 * breaks), and no final group of one character.
 */
export class Base64Stream {
  /** Characters of an unfinished group of four. */
  private carry = '';
  private length = 0;
  private padding = 0;
  private invalid = false;
  private onlyAlphabet = true;

  get valid(): boolean {
    return !this.invalid;
  }

  /** Whether every character so far was of the alphabet proper: no white space, no padding, nothing invalid. */
  get plain(): boolean {
    return this.onlyAlphabet;
  }

  /** The bytes `text` completes; nothing once the input is known to be invalid. */
  write(text: string): Buffer | undefined {
    if (this.invalid) return undefined;
    return (this.onlyAlphabet && this.writePlain(text)) || this.writeChecked(text);
  }

  /**
   * The common case, at the speed of Buffer.from: Node's decoder skips what is not base64 and
   * stops at padding, so whole groups that decode to exactly three bytes each held nothing
   * else, apart from the URL-safe `-` and `_` it also accepts. Returns false, having changed
   * nothing, for anything else.
   */
  private writePlain(text: string): Buffer | false {
    const symbols = this.carry + text;
    const whole = symbols.length - (symbols.length % 4);
    const bytes = Buffer.from(symbols.slice(0, whole), 'base64');
    const urlSafe = symbols.includes('-') || symbols.includes('_');
    if (bytes.length !== (whole / 4) * 3 || urlSafe || !/^[A-Za-z0-9+/]*$/.test(symbols.slice(whole))) return false;
    this.carry = symbols.slice(whole);
    this.length += text.length;
    return bytes;
  }

  private writeChecked(text: string): Buffer | undefined {
    this.onlyAlphabet = false;
    const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
    // Padding ends the data: after it, only more padding.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || (this.padding > 0 && !/^=*$/.test(compact))) {
      this.invalid = true;
      return undefined;
    }
    const pad = compact.length - compact.replace(/=+$/, '').length;
    this.padding += pad;
    this.length += compact.length;
    if (this.padding > 2) {
      this.invalid = true;
      return undefined;
    }
    const symbols = this.carry + compact.slice(0, compact.length - pad);
    const whole = symbols.length - (symbols.length % 4);
    this.carry = symbols.slice(whole);
    return whole === 0 ? undefined : Buffer.from(symbols.slice(0, whole), 'base64');
  }

  /** The last bytes, or undefined when the whole input was not valid base64. */
  end(): Buffer | undefined {
    const complete = this.padding > 0 ? this.length % 4 === 0 : this.length % 4 !== 1;
    if (this.invalid || !complete) {
      this.invalid = true;
      return undefined;
    }
    return Buffer.from(this.carry, 'base64');
  }
}
