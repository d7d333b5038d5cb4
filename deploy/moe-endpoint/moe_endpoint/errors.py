"""Failures that the HTTP layer turns into a clear status and message."""


class PromptTooLong(Exception):
    def __init__(self, tokens: int, limit: int):
        super().__init__(f"the prompt is {tokens} tokens long; the limit is {limit}")
        self.tokens = tokens
        self.limit = limit


class Stopped(Exception):
    """The request's deadline passed while it ran."""
