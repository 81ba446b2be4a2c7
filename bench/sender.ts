/**
 * Posts webhook bodies from a worker thread, so the load generator's own HTTP work is not charged
 * to the bot's event loop (the bot under test is the only thing on the main thread). Each of
 * `concurrency` connections sends its next body as soon as the previous reply arrives.
 */
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export type SendJob = { url: string; token: string; bodies: string[]; concurrency: number };

export type SendReport = {
  /** performance.timeOrigin + performance.now(): comparable across threads. */
  startedAt: number;
  finishedAt: number;
  /** Per request, from send to the reply's last byte. */
  latenciesMs: number[];
  statuses: Record<string, number>;
  /** The first refused reply, if any. */
  firstError: string | null;
};

const wallClock = () => performance.timeOrigin + performance.now();

// node:http with keep-alive rather than fetch: about half the client CPU per request, which matters
// when the load generator shares the machine's two cores with the bot.
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

function post(url: string, token: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: SendJob): Promise<SendReport> {
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  let firstError: string | null = null;
  let next = 0;
  const startedAt = wallClock();
  const connection = async () => {
    while (next < job.bodies.length) {
      const body = job.bodies[next++]!;
      const t0 = performance.now();
      const { status, text } = await post(job.url, job.token, body);
      latenciesMs.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== 202 && status !== 200) firstError ??= `HTTP ${status}: ${text.slice(0, 300)}`;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, connection));
  return { startedAt, finishedAt: wallClock(), latenciesMs, statuses, firstError };
}

/** Sends every body from a worker thread and resolves with what happened. */
export function sendFromWorker(job: SendJob): Promise<SendReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    let report: SendReport | undefined;
    worker.once('message', (r: SendReport) => {
      report = r;
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (report ? resolve(report) : reject(new Error(`sender worker exited with ${code} before reporting`))));
  });
}

if (!isMainThread && parentPort) {
  parentPort.postMessage(await run(workerData as SendJob));
}
