"""Each family's routing rule written out token by token in plain Python, straight from the
transformers router code, independent of moe_endpoint.routing. Returns {expert: weight}."""

import math


def softmax_topk(logits, k, renormalize):
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = sum(exps)
    probs = [e / total for e in exps]
    chosen = sorted(range(len(logits)), key=lambda i: -probs[i])[:k]
    weights = [probs[i] for i in chosen]
    if renormalize:
        s = sum(weights)
        weights = [w / s for w in weights]
    return dict(zip(chosen, weights))


def topk_softmax(logits, k):
    chosen = sorted(range(len(logits)), key=lambda i: -logits[i])[:k]
    top = max(logits[i] for i in chosen)
    exps = [math.exp(logits[i] - top) for i in chosen]
    total = sum(exps)
    return {i: e / total for i, e in zip(chosen, exps)}


def sigmoid_group_topk(logits, k, n_group, topk_group, renormalize, scaling, bias):
    scores = [1 / (1 + math.exp(-x)) for x in logits]
    biased = [s + b for s, b in zip(scores, bias)]
    size = len(logits) // n_group
    group_score = [sum(sorted(biased[g * size:(g + 1) * size], reverse=True)[:2]) for g in range(n_group)]
    kept = set(sorted(range(n_group), key=lambda g: -group_score[g])[:topk_group])
    allowed = [biased[i] if i // size in kept else 0.0 for i in range(len(logits))]
    chosen = sorted(range(len(logits)), key=lambda i: -allowed[i])[:k]
    weights = [scores[i] for i in chosen]
    if renormalize:
        s = sum(weights) + 1e-20
        weights = [w / s for w in weights]
    return {i: w * scaling for i, w in zip(chosen, weights)}
