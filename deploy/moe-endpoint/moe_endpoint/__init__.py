"""A small HTTP service that runs a Hugging Face mixture-of-experts model and reports, per token and
per MoE layer, which experts the router chose and with which gate weights."""

PROTOCOL_VERSION = 1
