/**
 * Optional generation for /ask through any OpenAI-compatible chat completions endpoint (vLLM,
 * SGLang, llama.cpp server, Ollama, TGI). The request carries the question and the numbered lesson
 * passages, nothing else. The reply must cite only passages it was given; reasoning blocks are
 * removed. Anything else (timeout, error, bad reply) is a failure the caller answers without.
 */

export interface LlmSettings {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

export interface Passage {
  /** "Lesson title — Section title". */
  label: string;
  text: string;
}

export type Generation = { ok: true; text: string; cited: number[] } | { ok: false; reason: string };

export const SYSTEM_PROMPT = [
  'You answer questions about Mixture-of-Experts models for learners, using only the numbered lesson passages in the user message.',
  'Cite every statement with the number of the passage it comes from, in square brackets, like [1] or [2].',
  'Do not use any knowledge that is not in the passages. If the passages do not answer the question, say that the lessons do not cover it.',
  'Answer in at most four sentences of plain text.',
].join(' ');

/** Longest passage sent, in characters: a section is rarely longer, and the prompt stays small. */
const MAX_PASSAGE_CHARS = 1500;
/** Longest answer kept, in characters. */
const MAX_ANSWER_CHARS = 1200;

/** The chat completions URL: accepts a server root, a `/v1` base or the full path. */
export function completionsUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (/\/chat\/completions$/.test(base)) return base;
  if (/\/v\d+$/.test(base)) return `${base}/chat/completions`;
  return `${base}/v1/chat/completions`;
}

export function userMessage(question: string, passages: Passage[]): string {
  const numbered = passages.map((p, i) => `[${i + 1}] ${p.label}\n${p.text.slice(0, MAX_PASSAGE_CHARS)}`).join('\n\n');
  return `Lesson passages:\n\n${numbered}\n\nQuestion: ${question}`;
}

export function requestBody(settings: LlmSettings, question: string, passages: Passage[]): Record<string, unknown> {
  return {
    model: settings.model,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: userMessage(question, passages) },
    ],
    temperature: 0,
    max_tokens: 400,
    stream: false,
  };
}

/** Removes reasoning: whole `<think>…</think>` blocks, and anything before a lone closing tag. */
export function stripThinking(text: string): string {
  let out = text.replace(/<think>[\s\S]*?<\/think>/gi, '');
  const close = out.toLowerCase().lastIndexOf('</think>');
  if (close >= 0) out = out.slice(close + '</think>'.length);
  // An unclosed block means the reasoning ran out of tokens: there is no answer after it.
  const open = out.toLowerCase().indexOf('<think>');
  if (open >= 0) out = out.slice(0, open);
  return out.trim();
}

/** Every passage number cited as [1], [1, 2] or [1][2]. */
export function citedNumbers(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const n of m[1]!.split(',')) out.push(Number(n.trim()));
  }
  return out;
}

/** Checks a reply against the passages it was given: some text, some citations, none made up. */
export function checkReply(content: string, passageCount: number): Generation {
  const text = stripThinking(content);
  if (!text) return { ok: false, reason: 'empty answer' };
  if (text.length > MAX_ANSWER_CHARS) return { ok: false, reason: 'answer too long' };
  const cited = citedNumbers(text);
  if (cited.length === 0) return { ok: false, reason: 'no citations' };
  const invalid = cited.filter((n) => !Number.isInteger(n) || n < 1 || n > passageCount);
  if (invalid.length) return { ok: false, reason: `cites passage ${invalid[0]} of ${passageCount}` };
  return { ok: true, text, cited: [...new Set(cited)] };
}

function contentOf(body: unknown): string | undefined {
  const choice = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0];
  const content = choice?.message?.content;
  return typeof content === 'string' ? content : undefined;
}

/** Asks the model; never throws. The API key goes in the Authorization header and nowhere else. */
export async function generate(
  settings: LlmSettings,
  question: string,
  passages: Passage[],
  fetchImpl: typeof fetch = fetch,
): Promise<Generation> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
    const res = await fetchImpl(completionsUrl(settings.baseUrl), {
      method: 'POST',
      headers,
      body: JSON.stringify(requestBody(settings, question, passages)),
      signal: controller.signal,
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: false, reason: `HTTP ${res.status}` };
    }
    const content = contentOf(await res.json());
    if (content === undefined) return { ok: false, reason: 'no message content in the reply' };
    return checkReply(content, passages.length);
  } catch (err) {
    if (controller.signal.aborted) return { ok: false, reason: `no reply within ${settings.timeoutMs} ms` };
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
