import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from './config.js';
import { UserError } from './core/errors.js';
import { renderCompareChart } from './core/moe/compare-chart.js';
import { COMPARE_LESSON, DOMAINS_LESSON, ROUTE_LESSON, SETUP_TEXT } from './core/moe/commands.js';
import { loadDomainPrompts } from './core/moe/domain-prompts.js';
import { renderDomainsChart } from './core/moe/domains-chart.js';
import { domainLines, specialisationSentence } from './core/moe/domains.js';
import { renderHeatmap } from './core/moe/heatmap.js';
import { servedModelLines } from './core/moe/kinds/describe.js';
import { isServedModel } from './core/moe/kinds/index.js';
import { moeServiceFor, type MoeService } from './core/moe/service.js';
import { compareSummaryLines, flakinessSentence, routeSummaryLines, summarizeCompare, summarizeRoute } from './core/moe/summary.js';

/**
 * `quizbot moe route|compare|domains|model`: the /moe commands' core functions from the command line, for
 * trying an endpoint and for scripts (--json). Failures print one line and exit 1.
 */

const MAX_PROMPT = 2000;
const CLI_USER = 'cli';

function service(config: Config): MoeService {
  const moe = moeServiceFor(config);
  if (!moe) throw new UserError(SETUP_TEXT);
  return moe;
}

function checkPrompt(text: string, name: string): string {
  const prompt = text.trim();
  if (!prompt) throw new UserError(`The ${name} is empty.`);
  if (prompt.length > MAX_PROMPT) throw new UserError(`The ${name} is longer than ${MAX_PROMPT} characters.`);
  return prompt;
}

function writePng(path: string, png: Buffer): string {
  const full = resolve(path);
  try {
    writeFileSync(full, png);
  } catch (err) {
    throw new UserError(`Cannot write ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
  return full;
}

export function registerMoeCommands(program: Command, config: () => Config): void {
  const moe = program.command('moe').description('live MoE routing demos against the GPU endpoint (MOE_ENDPOINT_URL; see deploy/moe-endpoint)');

  moe
    .command('route')
    .description('show which experts each token of a prompt went to')
    .argument('<prompt...>', 'the prompt (quotes optional)')
    .option('--json', 'print { summary, response } as JSON')
    .option('--out <file>', 'write the heatmap PNG to this file')
    .option('--max-new-tokens <n>', 'also generate up to n tokens and show their routing', (v) => Number.parseInt(v, 10), 0)
    .action(async (words: string[], opts: { json?: boolean; out?: string; maxNewTokens: number }) => {
      const prompt = checkPrompt(words.join(' '), 'prompt');
      if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) throw new UserError('--max-new-tokens must be a whole number of at least 0.');
      const answer = await service(config()).route(CLI_USER, prompt, opts.maxNewTokens);
      const summary = summarizeRoute(answer.value, answer.roundTripMs);
      const image = opts.out ? writePng(opts.out, await renderHeatmap(answer.value)) : undefined;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ summary, image, response: answer.value }, null, 2) + '\n');
        return;
      }
      console.log(['Expert routing, token by token', ...routeSummaryLines(answer.value, summary).map((l) => `  ${l}`)].join('\n'));
      if (image) console.log(`Heatmap: ${image}`);
      console.log(`Why it matters: /lesson ${ROUTE_LESSON.lesson} (section "What MoE models cannot do")`);
    });

  moe
    .command('compare')
    .description('route two phrasings of a question and show how far their experts differ, layer by layer')
    .argument('<a>', 'the first phrasing (quoted)')
    .argument('<b>', 'the second phrasing (quoted)')
    .option('--json', 'print { summary, response } as JSON')
    .option('--out <file>', 'write the overlap chart PNG to this file')
    .action(async (a: string, b: string, opts: { json?: boolean; out?: string }) => {
      const answer = await service(config()).compare(CLI_USER, checkPrompt(a, 'first prompt'), checkPrompt(b, 'second prompt'));
      const summary = summarizeCompare(answer.value);
      const image = opts.out ? writePng(opts.out, await renderCompareChart(answer.value)) : undefined;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ summary, image, response: answer.value }, null, 2) + '\n');
        return;
      }
      console.log(flakinessSentence(summary));
      console.log(compareSummaryLines(answer.value, summary, answer.roundTripMs).map((l) => `  ${l}`).join('\n'));
      for (const layer of answer.value.layers) {
        console.log(`  layer ${String(layer.layer).padStart(3)}  jaccard ${layer.jaccard.toFixed(2)}  load overlap ${layer.load_overlap.toFixed(2)}`);
      }
      if (image) console.log(`Chart: ${image}`);
      console.log(`Why it matters: /lesson ${COMPARE_LESSON.lesson} (section "Key terms": routing-induced eval flakiness)`);
    });

  moe
    .command('domains')
    .description('which experts code, maths, prose and chat prompts use most at an early, middle and late MoE layer (prompts: CONTENT_DIR/moe/domains.yaml)')
    .option('--json', 'print the report as JSON')
    .option('--out <file>', 'write the chart PNG to this file')
    .action(async (opts: { json?: boolean; out?: string }) => {
      const c = config();
      const moe = service(c);
      const answer = await moe.domains(CLI_USER, loadDomainPrompts(c.CONTENT_DIR));
      const image = opts.out ? writePng(opts.out, await renderDomainsChart(answer.value)) : undefined;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ image, report: answer.value }, null, 2) + '\n');
        return;
      }
      console.log(specialisationSentence(answer.value));
      console.log(domainLines(answer.value).map((l) => `  ${l}`).join('\n'));
      if (image) console.log(`Chart: ${image}`);
      console.log(`Why it matters: /lesson ${DOMAINS_LESSON.lesson} (section "What experts specialise in")`);
    });

  moe
    .command('model')
    .description('what the endpoint runs: family, layers, experts, top-k, parameters')
    .option('--json', 'print the endpoint\'s description as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { value: m } = await service(config()).model();
      if (opts.json) {
        process.stdout.write(JSON.stringify(m, null, 2) + '\n');
        return;
      }
      if (isServedModel(m)) {
        console.log(servedModelLines(m).join('\n'));
        return;
      }
      console.log(
        [
          `${m.model}${m.random_weights ? ' (random weights)' : ''}: ${m.family}, ${m.layers} layers (${m.moe_layers.length} MoE)`,
          `  ${m.experts} experts, top-${m.top_k}${m.shared_experts ? `, ${m.shared_experts} shared` : ''}; ${m.routing.description}`,
          `  ${m.parameters.total.toLocaleString('en-US')} parameters, ${m.parameters.active.toLocaleString('en-US')} active per token`,
          `  ${m.device}, ${m.dtype}`,
        ].join('\n'),
      );
    });
}
