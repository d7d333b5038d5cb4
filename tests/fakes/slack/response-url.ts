import { createServer, type Server } from 'node:http';
import { closeNow, listenOnLoopback } from '../loopback.js';

export interface ResponsePost {
  /** Which response_url was used (see newUrl). */
  hook: string;
  body: Record<string, any>;
}

/**
 * Stands in for Slack's response_url endpoints (hooks.slack.com): each command or action payload
 * gets its own URL; posts to it are recorded.
 */
export class ResponseUrlReceiver {
  readonly posts: ResponsePost[] = [];
  private byHook = new Map<string, ResponsePost[]>();
  private waiters = new Map<string, Set<() => void>>();
  /** Called with every post as it arrives. */
  onPost: ((post: ResponsePost) => void) | undefined;
  private server: Server | undefined;
  private counter = 0;
  base = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const hook = (req.url ?? '').replace(/^\/hooks\//, '');
        try {
          const post = { hook, body: JSON.parse(Buffer.concat(parts).toString('utf8')) };
          this.posts.push(post);
          this.byHook.set(hook, [...(this.byHook.get(hook) ?? []), post]);
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          this.onPost?.(post);
        } catch {
          res.writeHead(400).end('invalid_payload');
        }
        for (const w of [...(this.waiters.get(hook) ?? [])]) w();
      });
    });
    this.base = await listenOnLoopback(this.server);
    return this;
  }

  async stop(): Promise<void> {
    await closeNow(this.server);
  }

  /** A fresh response_url; its name identifies the posts made to it. */
  newUrl(name = `h${++this.counter}`): { url: string; hook: string } {
    return { url: `${this.base}/hooks/${name}`, hook: name };
  }

  postsTo(hook: string): ResponsePost[] {
    return this.byHook.get(hook) ?? [];
  }

  /** Waits until `count` posts reached the hook and returns them. */
  waitFor(hook: string, count = 1, timeoutMs = 10_000): Promise<ResponsePost[]> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiters.get(hook) ?? new Set();
      this.waiters.set(hook, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        if (waiters.size === 0) this.waiters.delete(hook);
      };
      const check = () => {
        const found = this.postsTo(hook);
        if (found.length < count) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${count} post(s) to response_url ${hook}; got ${this.postsTo(hook).length}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }
}
