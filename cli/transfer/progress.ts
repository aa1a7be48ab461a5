/**
 * The progress of an upload or download run, on a terminal only: a line for the whole run
 * (files, bytes, rate, time left) and one per file in flight, redrawn in place by cli-progress.
 * Anywhere else (a pipe, a log, a test) it draws nothing, and the run's summary says it all.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import { formatSeconds, formatSize } from '../format';

/** The rate is over this last stretch: recent enough to follow a changing network, long enough to be steady. */
const RATE_WINDOW_MS = 10_000;
const SAMPLE_EVERY_MS = 250;
/** Over less than this, a rate (and a time left) says more about start-up than about the network. */
const RATE_AFTER_MS = 1_000;

interface Payload {
  label: string;
  detail: string;
}

export interface FileProgress {
  /** The bytes the other end already had when this run took the file up: done, but not moved now. */
  resumedFrom(offset: number): void;
  /** How far into the file the transfer is. */
  moveTo(position: number): void;
  end(): void;
}

export class TransferProgress {
  private readonly bars: MultiBar | undefined;
  private readonly total: SingleBar | undefined;
  private doneFiles = 0;
  private doneBytes = 0;
  /** Bytes that crossed the network in this run, for the rate. */
  private moved = 0;
  private readonly samples: { at: number; moved: number }[] = [];
  private readonly positions = new Map<FileProgress, number>();

  constructor(
    private readonly verb: string,
    private readonly files: number,
    private readonly bytes: number,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (!stream.isTTY) return;
    this.bars = new MultiBar({
      stream,
      format: '{label} [{bar}] {percentage}% {detail}',
      barsize: 20,
      barCompleteChar: '#',
      barIncompleteChar: '.',
      hideCursor: false,
      linewrap: false,
      fps: 8,
    });
    this.total = this.bars.create(Math.max(bytes, 1), 0, this.totalPayload());
  }

  /** A line printed above the bars (as a warning), or plainly when there are none. */
  log(line: string): void {
    if (this.bars === undefined) process.stderr.write(`${line}\n`);
    else this.bars.log(`${line}\n`);
  }

  /** A whole file that needs no transfer (it is already there). */
  skip(size: number): void {
    this.doneFiles += 1;
    this.doneBytes += size;
    this.redraw();
  }

  start(name: string, size: number): FileProgress {
    const bar = this.bars?.create(Math.max(size, 1), 0, { label: `  ${name}`, detail: `0 B of ${formatSize(size)}` });
    let resumed = 0;
    const handle: FileProgress = {
      resumedFrom: (offset) => {
        resumed = offset;
        this.positions.set(handle, offset);
        this.redraw();
      },
      moveTo: (position) => {
        const before = this.positions.get(handle) ?? 0;
        // A retried request goes back to what the server holds: bytes sent twice count once.
        if (position > before) this.moved += position - before;
        this.positions.set(handle, position);
        const note = resumed > 0 ? `, resumed at ${formatSize(resumed)}` : '';
        bar?.update(position, { detail: `${formatSize(position)} of ${formatSize(size)}${note}` });
        this.redraw();
      },
      end: () => {
        this.positions.delete(handle);
        this.doneFiles += 1;
        this.doneBytes += size;
        if (bar !== undefined) this.bars?.remove(bar);
        this.redraw();
      },
    };
    this.positions.set(handle, 0);
    return handle;
  }

  stop(): void {
    this.redraw();
    this.bars?.stop();
  }

  private position(): number {
    let inFlight = 0;
    for (const position of this.positions.values()) inFlight += position;
    return this.doneBytes + inFlight;
  }

  /** Bytes a second over the last RATE_WINDOW_MS. */
  private rate(): number {
    const now = Date.now();
    const last = this.samples.at(-1);
    if (last === undefined || now - last.at >= SAMPLE_EVERY_MS) this.samples.push({ at: now, moved: this.moved });
    while (this.samples.length > 2 && now - (this.samples[0]?.at ?? now) > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    if (first === undefined || now - first.at < RATE_AFTER_MS) return 0;
    return ((this.moved - first.moved) * 1000) / (now - first.at);
  }

  private totalPayload(): Payload {
    const position = this.position();
    const rate = this.rate();
    const speed = rate > 0 ? `, ${formatSize(Math.round(rate))}/s, ${formatSeconds((this.bytes - position) / rate)} left` : '';
    return {
      label: `${this.verb} ${this.doneFiles}/${this.files} files`,
      detail: `${formatSize(position)} of ${formatSize(this.bytes)}${speed}`,
    };
  }

  private redraw(): void {
    this.total?.update(Math.min(this.position(), Math.max(this.bytes, 1)), this.totalPayload());
  }
}
