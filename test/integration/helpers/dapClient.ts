// A minimal Debug Adapter Protocol client over a child process's stdio (Content-Length framing), enough to
// drive `python3 -m debugpy.adapter` from Node: requests with replies, events as a queue to wait on.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface DapEvent {
  event: string;
  body?: Record<string, unknown>;
}

export class DapError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
  }
}

export class DapClient {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private seq = 1;
  private readonly pending = new Map<number, { command: string; resolve(v: unknown): void; reject(e: unknown): void }>();
  private readonly events: DapEvent[] = [];
  private readonly waiters: { match(e: DapEvent): boolean; resolve(e: DapEvent): void }[] = [];
  private exited = false;
  /** True once the adapter said `terminated` or exited. */
  ended = false;
  stderr = '';

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stdout.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.on('exit', () => {
      this.exited = true;
      this.ended = true;
      for (const p of this.pending.values()) p.reject(new DapError(p.command, 'the debug adapter exited'));
      this.pending.clear();
    });
  }

  request<T = Record<string, unknown>>(command: string, args?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new DapError(command, 'the debug adapter exited'));
    const seq = this.seq++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(seq, { command, resolve: resolve as (v: unknown) => void, reject }));
    this.send({ seq, type: 'request', command, arguments: args });
    return p;
  }

  /** The next event (already received or future) satisfying `match`; consumed from the queue. */
  waitEvent(name: string, timeoutMs = 30_000, match: (e: DapEvent) => boolean = () => true): Promise<DapEvent> {
    const m = (e: DapEvent) => e.event === name && match(e);
    const i = this.events.findIndex(m);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms; adapter stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiters.push({
        match: m,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }

  private send(msg: unknown): void {
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const m = /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString());
      if (!m) throw new Error('DAP: a header without Content-Length');
      const len = Number(m[1]);
      if (this.buffer.length < end + 4 + len) return;
      const msg = JSON.parse(this.buffer.subarray(end + 4, end + 4 + len).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 4 + len);
      this.onMessage(msg);
    }
  }

  private onMessage(msg: { type: string; request_seq?: number; success?: boolean; message?: string; body?: unknown; event?: string; command?: string; seq?: number }): void {
    if (msg.type === 'response') {
      const p = this.pending.get(msg.request_seq!);
      if (!p) return;
      this.pending.delete(msg.request_seq!);
      if (msg.success) p.resolve(msg.body ?? {});
      else p.reject(new DapError(p.command, String((msg.body as { error?: { format?: string } })?.error?.format ?? msg.message ?? 'failed')));
    } else if (msg.type === 'event') {
      const e = { event: msg.event!, body: msg.body as Record<string, unknown> | undefined };
      if (e.event === 'terminated') this.ended = true;
      const w = this.waiters.findIndex((x) => x.match(e));
      if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve(e);
      else this.events.push(e);
    } else if (msg.type === 'request') {
      // Reverse requests (runInTerminal, startDebugging): refuse; tests launch with console: internalConsole.
      this.send({ seq: this.seq++, type: 'response', request_seq: msg.seq, command: msg.command, success: false, message: 'not supported' });
    }
  }
}
