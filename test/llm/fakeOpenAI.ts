/**
 * A scripted OpenAI-compatible server on 127.0.0.1: POST /v1/chat/completions answers from a
 * queue (chat.completion bodies, HTTP errors with headers, raw bodies, or a reply that never comes)
 * and records every request so tests can assert exactly what left the bot.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Scripted =
  | { type: 'answer'; content: string; usage: { prompt: number; completion: number } | null; finishReason: string; refusal: string | null; delayMs: number }
  | { type: 'status'; status: number; headers: Record<string, string>; message: string }
  | { type: 'raw'; status: number; body: string; contentType: string }
  | { type: 'hang' };

/** A chat.completion whose message content is `content` (objects are JSON-encoded). */
export const answer = (content: string | object, usage: { prompt: number; completion: number } | null = { prompt: 1000, completion: 200 }, more: { finishReason?: string; refusal?: string; delayMs?: number } = {}): Scripted => ({
  type: 'answer',
  content: typeof content === 'string' ? content : JSON.stringify(content),
  usage,
  finishReason: more.finishReason ?? 'stop',
  refusal: more.refusal ?? null,
  delayMs: more.delayMs ?? 0,
});
/** An OpenAI-style error body with this status and headers (e.g. 429 with Retry-After). */
export const httpError = (status: number, headers: Record<string, string> = {}, message = `fake error ${status}`): Scripted => ({ type: 'status', status, headers, message });
export const rawBody = (body: string, status = 200, contentType = 'application/json'): Scripted => ({ type: 'raw', status, body, contentType });
/** Accepts the request and never answers (until the server closes). */
export const hang = (): Scripted => ({ type: 'hang' });

export type RecordedRequest = { at: number; method: string; path: string; headers: IncomingHttpHeaders; raw: string; body: ChatRequest };

/** The fields of a chat-completions request the tests look at. */
export type ChatRequest = {
  model: string;
  messages: { role: string; content: string }[];
  response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
  [key: string]: unknown;
};

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Scripted[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private server: Server | null = null;
  private completions = 0;
  url = '';

  /** Replies for the next requests, in order; an empty queue answers 500. */
  enqueue(...replies: Scripted[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Resolves once `count` requests have arrived. */
  requestsReceived(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const path = new URL(req.url ?? '/', 'http://fake').pathname;
        if (req.method !== 'POST' || path !== '/v1/chat/completions') {
          return send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
        }
        const body = JSON.parse(raw) as ChatRequest;
        this.requests.push({ at: performance.now(), method: req.method, path, headers: req.headers, raw, body });
        for (const w of this.waiters.filter((w) => this.requests.length >= w.count)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
        this.reply(res, this.queue.shift(), body.model);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  private reply(res: ServerResponse, next: Scripted | undefined, model: string): void {
    if (!next) return send(res, 500, { error: { message: 'fake: nothing scripted for this request', type: 'server_error' } });
    switch (next.type) {
      case 'hang':
        this.hanging.add(res);
        return;
      case 'raw':
        res.writeHead(next.status, { 'content-type': next.contentType });
        res.end(next.body);
        return;
      case 'status':
        return send(res, next.status, { error: { message: next.message, type: next.status === 429 ? 'rate_limit_exceeded' : 'server_error' } }, next.headers);
      case 'answer': {
        const id = ++this.completions;
        const body = {
          id: `chatcmpl-fake-${id}`,
          object: 'chat.completion',
          created: 1_790_000_000 + id,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: next.content, refusal: next.refusal }, finish_reason: next.finishReason, logprobs: null }],
          ...(next.usage ? { usage: { prompt_tokens: next.usage.prompt, completion_tokens: next.usage.completion, total_tokens: next.usage.prompt + next.usage.completion } } : {}),
        };
        if (next.delayMs) setTimeout(() => send(res, 200, body), next.delayMs);
        else send(res, 200, body);
      }
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
