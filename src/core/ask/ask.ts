import type { Config } from '../../config.js';
import type { Services } from '../services.js';
import { extractiveAnswer, type AnswerOptions, type AskAnswer, type Citation } from './answer.js';
import { generate, type LlmSettings, type Passage } from './llm.js';
import { retrieve, type Retrieval, type RetrieveOptions, type SectionHit } from './retrieve.js';
import { askIndexFor, type AskIndex } from './search-index.js';

/**
 * The one function behind /ask, the "Why?" button and `quizbot ask`: retrieve, answer from the
 * lessons, and, when a model is configured, let it phrase the answer from the same passages.
 */

export interface AskOptions extends RetrieveOptions {
  /** For tests: another fetch. */
  fetch?: typeof fetch;
}

/** Passages sent to the model: the best sections, the ones the extractive answer quotes first. */
const MAX_PASSAGES = 3;

export function llmSettings(config: Pick<Config, 'LLM_BASE_URL' | 'LLM_MODEL' | 'LLM_API_KEY' | 'LLM_TIMEOUT_MS'>): LlmSettings | undefined {
  if (!config.LLM_BASE_URL || !config.LLM_MODEL) return undefined;
  return { baseUrl: config.LLM_BASE_URL, model: config.LLM_MODEL, apiKey: config.LLM_API_KEY, timeoutMs: config.LLM_TIMEOUT_MS };
}

/** Retrieval and the extractive answer, without generation (synchronous; what the benchmark times). */
export function answerFromLessons(index: AskIndex, question: string, options: RetrieveOptions & AnswerOptions = {}): { retrieval: Retrieval; answer: AskAnswer } {
  const retrieval = retrieve(index, question, options);
  return { retrieval, answer: extractiveAnswer(index, retrieval, undefined, options) };
}

function passageSections(retrieval: Retrieval, extractive: AskAnswer): SectionHit[] {
  const quoted = (h: SectionHit) => extractive.citations.some((c) => c.lessonId === h.section.lessonId && c.sectionIndex === h.section.sectionIndex);
  const ordered = [retrieval.hits[0]!, ...retrieval.hits.filter(quoted), ...retrieval.hits];
  return [...new Set(ordered)].slice(0, MAX_PASSAGES);
}

/** A cited passage, quoting its sentence that best matches the question (or its first). */
function citationOf(index: AskIndex, hit: SectionHit): Citation {
  const sentence = hit.sentences[0]?.sentence ?? index.sentences[hit.section.sentenceIds[0] ?? -1];
  const { lessonId, lessonTitle, title, sectionIndex } = hit.section;
  return { lessonId, lessonTitle, section: title, sectionIndex, quote: sentence?.text ?? '' };
}

/** The generated text with its citations renumbered 1, 2, … in order of first use. */
function renumber(text: string, cited: number[]): string {
  const order = new Map(cited.map((n, i) => [n, i + 1]));
  return text.replace(/\[(\d+(?:\s*,\s*\d+)*)\]/g, (_, list: string) => `[${list.split(',').map((n) => order.get(Number(n.trim()))).join(', ')}]`);
}

export async function ask(
  services: Pick<Services, 'config' | 'lessons' | 'logger'>,
  question: string,
  options: AskOptions = {},
): Promise<AskAnswer> {
  const index = askIndexFor(services.lessons.all());
  const { retrieval, answer: extractive } = answerFromLessons(index, question, options);
  const settings = llmSettings(services.config);
  if (extractive.abstained || !settings) return extractive;

  const sections = passageSections(retrieval, extractive);
  const passages: Passage[] = sections.map((h) => ({ label: `${h.section.lessonTitle} — ${h.section.title}`, text: h.section.text }));
  const generated = await generate(settings, question, passages, options.fetch);
  if (!generated.ok) {
    services.logger.warn({ reason: generated.reason, model: settings.model }, 'generated answer not used; answering with lesson quotes');
    return extractive;
  }
  const citations = generated.cited.map((n) => citationOf(index, sections[n - 1]!));
  const text = renumber(generated.text, generated.cited);
  return { abstained: false, answer: text, parts: [], citations, suggestions: [], source: 'generated' };
}
