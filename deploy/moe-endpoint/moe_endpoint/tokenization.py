"""Tokenizers behind one small interface: ids plus the text piece of each token.

A checkpoint brings its own tokenizer (transformers' AutoTokenizer). A random-weight demo model
has none and the GPU machine may have no network, so `SimpleTokenizer` splits text into words,
spaces and punctuation and maps each piece to a stable id: the routing is as meaningless as the
weights, but it is deterministic and the pieces read well on a heatmap.
"""

from __future__ import annotations

import hashlib
import re
from typing import Optional, Protocol, Sequence


class Tokenizer(Protocol):
    eos_token_id: Optional[int]
    pad_token_id: int

    def encode(self, text: str) -> tuple[list[int], list[str]]: ...

    def piece(self, token_id: int) -> str: ...


_PIECE = re.compile(r" ?[A-Za-z]+| ?[0-9]{1,3}| ?[^\sA-Za-z0-9]|\s+(?!\S)|\s+")


class SimpleTokenizer:
    """Word-level pieces with ids from a hash of the piece; padding and start ids are reserved."""

    def __init__(self, vocab_size: int, pad_token_id: Optional[int] = None):
        if vocab_size < 16:
            raise ValueError("vocab_size must be at least 16")
        self.vocab_size = vocab_size
        # The model's padding id, when its config has one: that embedding row is often zero.
        self.pad_token_id = pad_token_id if pad_token_id is not None and 0 <= pad_token_id < vocab_size else 0
        self.bos_token_id = next(i for i in (1, 2, 3) if i != self.pad_token_id)
        self.eos_token_id: Optional[int] = None
        self._reserved = {self.pad_token_id, self.bos_token_id}
        self._pieces: dict[int, str] = {self.pad_token_id: "<pad>", self.bos_token_id: "<s>"}

    def _id(self, piece: str) -> int:
        digest = int.from_bytes(hashlib.blake2b(piece.encode("utf-8"), digest_size=8).digest(), "little")
        token_id = digest % self.vocab_size
        while token_id in self._reserved:
            token_id = (token_id + 1) % self.vocab_size
        self._pieces.setdefault(token_id, piece)
        return token_id

    def encode(self, text: str) -> tuple[list[int], list[str]]:
        pieces = _PIECE.findall(text)
        return [self.bos_token_id] + [self._id(p) for p in pieces], ["<s>"] + pieces

    def piece(self, token_id: int) -> str:
        return self._pieces.get(token_id, f"<{token_id}>")


class HfTokenizer:
    """A transformers tokenizer; pieces come from character offsets when the tokenizer is fast."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.eos_token_id = tokenizer.eos_token_id
        pad = tokenizer.pad_token_id
        self.pad_token_id = int(pad if pad is not None else (tokenizer.eos_token_id or 0))

    def encode(self, text: str) -> tuple[list[int], list[str]]:
        if getattr(self.tokenizer, "is_fast", False):
            enc = self.tokenizer(text, return_offsets_mapping=True, add_special_tokens=True)
            ids = list(enc["input_ids"])
            pieces = []
            for token_id, (start, end) in zip(ids, enc["offset_mapping"]):
                pieces.append(text[start:end] if end > start else self.piece(token_id))
            return ids, pieces
        ids = list(self.tokenizer(text, add_special_tokens=True)["input_ids"])
        return ids, [self.piece(i) for i in ids]

    def piece(self, token_id: int) -> str:
        text = self.tokenizer.decode([token_id])
        if text:
            return text
        token = self.tokenizer.convert_ids_to_tokens(token_id)
        return token if isinstance(token, str) else f"<{token_id}>"


def pieces_for(tokenizer: Tokenizer, ids: Sequence[int]) -> list[str]:
    return [tokenizer.piece(int(i)) for i in ids]
