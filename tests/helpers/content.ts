import { writeFiles } from './tmp.js';

export const demoLesson = `---
id: demo
title: Demo lesson
summary: A small lesson for tests.
minutes: 5
tags: [expert-routing]
---

## The premise

Mixture-of-experts models route each token to a few experts.

## Key terms

The router picks the experts for each token.
`;

export const demoBank = `id: demo
title: Demo bank
lesson: demo
questions:
  - id: demo-router
    type: single
    prompt: What does the router do?
    choices: [Picks experts for each token, Sorts the tokens, Trains the model]
    answer: Picks experts for each token
    explanation: The router picks the experts for each token.
    source: { lesson: demo, section: Key terms }
    tags: [expert-routing]
  - id: demo-few
    type: true_false
    prompt: Each token goes to every expert.
    answer: false
    explanation: Each token is routed to a few experts.
    source: { lesson: demo, section: The premise }
  - id: demo-term
    type: short
    prompt: Which component picks the experts?
    answer: router
    accepted: [the router, gating network]
    explanation: The router picks the experts.
    source: { lesson: demo, section: Key terms }
`;

/** A valid content directory with one lesson and one bank; `overrides` replace or add files. */
export function writeDemoContent(dir: string, overrides: Record<string, string> = {}): void {
  writeFiles(dir, { 'lessons/demo.md': demoLesson, 'banks/demo.yaml': demoBank, ...overrides });
}
